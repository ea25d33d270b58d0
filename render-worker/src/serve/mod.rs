//! `render-worker serve`: a pool of render workers on the Redis job queue.
//!
//! Each worker is one OS thread that takes a job, renders it with a single encoder thread and
//! stores the MP4, so a pool of N workers keeps about N cores busy. One more thread renews the
//! claims of jobs in progress and runs the reaper, one waits for SIGTERM and SIGINT, and, when
//! configured, one runs the e-card scheduler.
//!
//! Layout:
//! - [`queue`]: every Redis command the pool sends.
//! - [`job`]: one job, from its claim to the stored MP4, a retry, or a failed order.
//! - [`housekeeping`]: claim renewal and the reaper that requeues jobs of workers that died.
//! - [`scheduler`]: the optional e-card scheduler, which calls the dispatch endpoint every second.
//! - this file: configuration, connections, the worker threads and shutdown.

mod housekeeping;
mod job;
pub mod queue;
pub mod scheduler;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use redis::Connection;
use store::{Keyring, OrderId};
use tracing::{error, info, info_span, warn};

/// Time allowed to open a Redis connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Time allowed for one Redis reply; longer than the one-second `BLMOVE` wait.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// First wait before reconnecting to Redis; it doubles after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Maximum wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Settings of `render-worker serve`.
pub struct ServeConfig {
    /// Redis connection URL. It may hold a password, so it is never logged.
    pub redis_url: String,
    /// Storage keys that seal and open every stored value.
    pub keyring: Keyring,
    /// Number of worker threads, each rendering one job at a time.
    pub workers: usize,
    /// Name of this process in claims and logs; worker `i` claims jobs as `NAME/i`.
    pub name: String,
    /// Time between two reaper scans of the processing list.
    pub reaper_interval: Duration,
    /// Time a job in progress may take to finish after a stop signal before it is requeued.
    pub grace: Duration,
    /// The e-card scheduler's endpoint and secret, or `None` to run no scheduler.
    pub scheduler: Option<scheduler::SchedulerConfig>,
}

/// State shared by the worker, housekeeping and signal threads.
struct Pool {
    client: redis::Client,
    keyring: Keyring,
    grace: Duration,
    /// Shared with the signal thread, which is detached because it waits for a signal that may never come.
    stop: Arc<StopSignal>,
    /// Jobs in progress and the worker holding each, whose claims the housekeeping thread renews.
    /// Renewal holds the lock, so a job removed here is never renewed again.
    active: Mutex<HashMap<OrderId, String>>,
}

/// Whether a stop signal arrived, and when.
#[derive(Default)]
struct StopSignal {
    requested: AtomicBool,
    requested_at: Mutex<Option<Instant>>,
}

impl StopSignal {
    fn request(&self) {
        self.requested_at.lock().expect("stop lock").get_or_insert_with(Instant::now);
        self.requested.store(true, Ordering::SeqCst);
    }

    fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Returns true once a stop was requested at least `grace` ago.
    fn grace_expired(&self, grace: Duration) -> bool {
        self.is_requested()
            && self.requested_at.lock().expect("stop lock").is_some_and(|at| at.elapsed() >= grace)
    }
}

/// Runs the worker pool until SIGTERM or SIGINT, then returns once every worker has stopped.
pub fn run(config: ServeConfig) -> anyhow::Result<()> {
    let client = redis::Client::open(config.redis_url.as_str())
        .context("invalid Redis URL in --redis-url or REDIS_URL")?;
    let pool = Pool {
        client,
        keyring: config.keyring,
        grace: config.grace,
        stop: Arc::new(StopSignal::default()),
        active: Mutex::new(HashMap::new()),
    };
    let housekeeping_done = AtomicBool::new(false);

    // Signals are caught before any job is taken, so a stop never kills a render half-way.
    let signals = SignalWaiter::install().context("failed to install the SIGTERM and SIGINT handlers")?;

    let stop = Arc::clone(&pool.stop);
    let grace = pool.grace;
    thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || signals.wait(&stop, grace))
        .context("failed to start the signal thread")?;

    // The scheduler thread is detached: an HTTP call in flight must not delay the shutdown.
    if let Some(scheduler_config) = config.scheduler {
        let stop = Arc::clone(&pool.stop);
        thread::Builder::new()
            .name("scheduler".to_owned())
            .spawn(move || scheduler::run(&scheduler_config, || !stop.is_requested()))
            .context("failed to start the scheduler thread")?;
    }

    info!(
        name = %config.name,
        workers = config.workers,
        grace_secs = config.grace.as_secs(),
        "render worker pool starting"
    );
    thread::scope(|scope| {
        let housekeeping =
            scope.spawn(|| housekeeping::run(&pool, &housekeeping_done, config.reaper_interval));
        let workers: Vec<_> = (0..config.workers)
            .map(|index| {
                let worker = format!("{}/{index}", config.name);
                let pool = &pool;
                thread::Builder::new()
                    .name(format!("worker-{index}"))
                    .spawn_scoped(scope, move || run_worker(pool, &worker))
                    .expect("the system can start a worker thread")
            })
            .collect();

        for worker in workers {
            if worker.join().is_err() {
                error!("a worker thread panicked");
            }
        }
        // Jobs are finished or requeued, so their claims no longer need renewing.
        housekeeping_done.store(true, Ordering::SeqCst);
        if housekeeping.join().is_err() {
            error!("the housekeeping thread panicked");
        }
    });
    info!(name = %config.name, "render worker pool stopped");
    Ok(())
}

/// Takes and runs jobs until a stop is requested.
fn run_worker(pool: &Pool, worker: &str) {
    let span = info_span!("render_worker.worker", worker = %worker);
    let _entered = span.enter();
    info!("worker started");

    let mut connection: Option<Connection> = None;
    while !pool.stop.is_requested() {
        let Some(con) = connection.as_mut() else {
            connection = connect(pool, || !pool.stop.is_requested());
            continue;
        };

        // A failed command drops the connection; a job left in the processing list is requeued by
        // a reaper once its claim expires.
        if let Err(error) = take_and_run(pool, con, worker) {
            warn!(error = format!("{error:#}"), "redis command failed; reconnecting");
            connection = None;
        }
    }
    info!("worker stopped");
}

/// Takes one job, if one arrives within a second, and runs it.
fn take_and_run(pool: &Pool, con: &mut Connection, worker: &str) -> anyhow::Result<()> {
    let Some(text) = queue::take(con)? else {
        return Ok(());
    };
    let Some(id) = OrderId::parse(&text) else {
        warn!(length = text.len(), "removed a queue entry that is not an order id");
        return queue::drop_malformed(con, &text);
    };
    if pool.stop.is_requested() {
        // The stop came during the wait: give the job back untouched.
        queue::requeue(con, &id)?;
        info!(order_id = %id, "job returned to the queue: stopping");
        return Ok(());
    }
    job::run(pool, con, worker, &id)
}

/// Opens a Redis connection, retrying with backoff while `keep_trying` holds.
fn connect(pool: &Pool, keep_trying: impl Fn() -> bool) -> Option<Connection> {
    let mut backoff = FIRST_BACKOFF;
    let mut failures = 0u32;
    while keep_trying() {
        match open_connection(&pool.client) {
            Ok(con) => {
                if failures > 0 {
                    info!(failures, "connected to redis");
                }
                return Some(con);
            }
            Err(error) => {
                failures += 1;
                warn!(
                    error = format!("{error:#}"),
                    failures,
                    retry_in_ms = backoff.as_millis() as u64,
                    "redis unavailable; retrying"
                );
                sleep_while(backoff, &keep_trying);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    None
}

fn open_connection(client: &redis::Client) -> anyhow::Result<Connection> {
    let con = client.get_connection_with_timeout(CONNECT_TIMEOUT).context("failed to connect to redis")?;
    con.set_read_timeout(Some(REPLY_TIMEOUT)).context("failed to set the redis reply timeout")?;
    con.set_write_timeout(Some(REPLY_TIMEOUT)).context("failed to set the redis write timeout")?;
    Ok(con)
}

/// Sleeps for `duration`, waking early once `keep_going` turns false.
fn sleep_while(duration: Duration, keep_going: impl Fn() -> bool) {
    let until = Instant::now() + duration;
    while keep_going() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// SIGTERM and SIGINT handlers, registered on a small single-threaded runtime.
struct SignalWaiter {
    runtime: tokio::runtime::Runtime,
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl SignalWaiter {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};

        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
        let (terminate, interrupt) = runtime.block_on(async {
            Ok::<_, std::io::Error>((signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?))
        })?;
        Ok(Self { runtime, terminate, interrupt })
    }

    /// Requests the stop at the first signal; later signals are only logged. Never returns.
    fn wait(mut self, stop: &StopSignal, grace: Duration) {
        self.runtime.block_on(async {
            loop {
                let name = tokio::select! {
                    _ = self.terminate.recv() => "SIGTERM",
                    _ = self.interrupt.recv() => "SIGINT",
                };
                if stop.is_requested() {
                    info!(signal = name, "already stopping");
                    continue;
                }
                stop.request();
                info!(
                    signal = name,
                    grace_secs = grace.as_secs(),
                    "stopping: no new jobs; jobs in progress are requeued if unfinished after the grace period"
                );
            }
        });
    }
}
