//! Claim renewal (the workers' heartbeat) and the reaper.
//!
//! A worker claims each job with a key that expires after [`queue::CLAIM_TTL`]; this thread renews
//! the claims of every job in progress in this process. The reaper scans the processing list and
//! requeues a job whose claim was missing in two scans at least [`UNCLAIMED_FOR`] apart. The second
//! scan leaves time for a worker that has just taken a job to write its claim.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use redis::Connection;
use store::OrderId;
use tracing::{info, info_span, warn};

use super::{Pool, connect, queue};

/// Time between claim renewals, well inside the claim's lifetime.
const RENEW_INTERVAL: Duration = Duration::from_secs(3);

/// How long a job must be seen without a claim before the reaper requeues it.
const UNCLAIMED_FOR: Duration = Duration::from_secs(5);

/// How often the loop wakes to check whether renewal or a scan is due.
const TICK: Duration = Duration::from_millis(200);

/// Renews claims and reaps abandoned jobs until `done` is set.
pub(super) fn run(pool: &Pool, done: &AtomicBool, reaper_interval: Duration) {
    let span = info_span!("render_worker.housekeeping");
    let _entered = span.enter();

    let mut connection: Option<Connection> = None;
    let mut reaper = Reaper::default();
    let mut last_renewal: Option<Instant> = None;
    let mut last_scan: Option<Instant> = None;
    while !done.load(Ordering::SeqCst) {
        let Some(con) = connection.as_mut() else {
            connection = connect(pool, || !done.load(Ordering::SeqCst));
            continue;
        };

        let result = (|| {
            if due(last_renewal, RENEW_INTERVAL) {
                renew_claims(pool, con)?;
                last_renewal = Some(Instant::now());
            }
            if due(last_scan, reaper_interval) {
                reaper.scan(con)?;
                last_scan = Some(Instant::now());
            }
            anyhow::Ok(())
        })();
        if let Err(error) = result {
            warn!(error = format!("{error:#}"), "redis command failed; reconnecting");
            connection = None;
            continue;
        }
        thread::sleep(TICK);
    }
}

fn due(last: Option<Instant>, interval: Duration) -> bool {
    last.is_none_or(|at| at.elapsed() >= interval)
}

fn renew_claims(pool: &Pool, con: &mut Connection) -> anyhow::Result<()> {
    // The lock is held through the command, so a job that ends meanwhile is not renewed after its
    // worker deleted the claim.
    let active = pool.active.lock().expect("active jobs lock");
    if active.is_empty() {
        return Ok(());
    }
    queue::renew_claims(con, active.iter())
}

/// Jobs seen without a claim, with the time of the first scan that saw each.
#[derive(Default)]
struct Reaper {
    unclaimed_since: HashMap<String, Instant>,
}

impl Reaper {
    fn scan(&mut self, con: &mut Connection) -> anyhow::Result<()> {
        let ids = queue::processing(con)?;
        let claimed = queue::claimed(con, &ids)?;
        let now = Instant::now();
        self.unclaimed_since.retain(|id, _| ids.contains(id));

        for (id, claimed) in ids.iter().zip(claimed) {
            if claimed {
                self.unclaimed_since.remove(id);
                continue;
            }
            let first_seen = *self.unclaimed_since.entry(id.clone()).or_insert(now);
            if now.duration_since(first_seen) < UNCLAIMED_FOR {
                continue;
            }
            self.unclaimed_since.remove(id);
            if queue::reap(con, id)? {
                // Entries that are not order ids are logged by the worker that takes them.
                match OrderId::parse(id) {
                    Some(order_id) => warn!(order_id = %order_id, "requeued a job whose claim expired"),
                    None => warn!("requeued a queue entry that is not an order id"),
                }
            } else {
                info!("an unclaimed job was taken or finished before the reaper requeued it");
            }
        }
        Ok(())
    }
}
