//! One render job: claim, render, store, and the retry and failure rules.

use std::ops::ControlFlow;

use anyhow::Context;
use redis::Connection;
use store::{OrderId, OrderKeys, OrderRecord, OrderStatus, VideoInfo};
use strokes::StrokeSet;
use tracing::{error, field, info, info_span, warn};

use super::{Pool, queue};
use crate::pipeline::{self, RenderCancelled};

/// Render attempts per order. A failed attempt before this is retried; the last one fails the order.
pub const MAX_ATTEMPTS: u32 = 3;

/// Smallest progress step, in percent, worth a record write.
const PROGRESS_STEP_PERCENT: u8 = 5;

/// The next step for a job once an attempt is over.
enum Outcome {
    /// The order is ready, failed for good, or gone: remove the job.
    Finished,
    /// The attempt failed and counted: requeue the job for another attempt.
    Retry,
    /// The worker is stopping: requeue the job, the attempt not counted.
    Interrupted,
    /// The record cannot be opened, so nothing can be counted or written: leave the job unclaimed
    /// in the processing list, where a reaper requeues it after a delay.
    Unreadable,
}

/// The reason a render stopped before its last frame.
#[derive(Clone, Copy)]
enum StopReason {
    /// The order record disappeared: the visitor deleted the order or it expired.
    OrderGone,
    /// The grace period after a stop signal ran out.
    Shutdown,
}

/// Runs one job taken from the queue and settles it in the queue.
///
/// An error means Redis failed; the job then stays in the processing list, and a reaper requeues it
/// once its claim expires.
pub(super) fn run(pool: &Pool, con: &mut Connection, worker: &str, id: &OrderId) -> anyhow::Result<()> {
    let span = info_span!("render_worker.job", order_id = %id, attempt = field::Empty);
    let _entered = span.enter();

    queue::claim(con, id, worker)?;
    pool.active.lock().expect("active jobs lock").insert(id.clone(), worker.to_owned());
    let outcome = attempt(pool, con, id, &span);
    pool.active.lock().expect("active jobs lock").remove(id);

    match outcome? {
        Outcome::Finished => queue::finish(con, id),
        Outcome::Retry | Outcome::Interrupted => {
            if !queue::requeue(con, id)? {
                warn!("job was no longer in the processing list");
            }
            Ok(())
        }
        Outcome::Unreadable => queue::delete(con, &[store::QueueKeys::claim(id)]),
    }
}

/// Makes one render attempt and updates the order record; the caller settles the queue.
fn attempt(pool: &Pool, con: &mut Connection, id: &OrderId, span: &tracing::Span) -> anyhow::Result<Outcome> {
    let keys = OrderKeys::new(id);

    // Step 1: read the record. Without one the order expired or was deleted.
    let Some(sealed) = queue::get(con, &keys.record())? else {
        info!("order is gone; job dropped");
        return Ok(Outcome::Finished);
    };
    let mut record = match open_record(pool, &keys, &sealed) {
        Ok(record) => record,
        Err(error) => {
            // NOTE: a wrong SBH_STORAGE_KEY fails here for every order, so the job is kept for a later
            // attempt instead of dropped. A truly corrupt record is retried until it expires.
            error!(error = format!("{error:#}"), "order record cannot be opened; job left for the reaper");
            return Ok(Outcome::Unreadable);
        }
    };
    if matches!(record.status, OrderStatus::Ready | OrderStatus::Failed { .. }) {
        info!("order already finished; duplicate job dropped");
        return Ok(Outcome::Finished);
    }

    // Step 2: count the attempt. Attempts that ended without a word (a killed worker) count too.
    record.attempts += 1;
    span.record("attempt", record.attempts);
    if record.attempts > MAX_ATTEMPTS {
        let cause = "the worker stopped before finishing";
        return fail_order(pool, con, &keys, &mut record, cause);
    }
    record.status = OrderStatus::Rendering { percent: 0 };
    if !queue::write_record(con, &pool.keyring, &keys, &record)? {
        return drop_gone_order(con, &keys);
    }
    info!("render started");

    // Step 3: read the strokes.
    let strokes = match read_strokes(pool, con, &keys)? {
        Ok(strokes) => strokes,
        Err(cause) => return retry_or_fail(pool, con, &keys, &mut record, cause),
    };

    // Step 4: render, writing the progress and stopping when the order goes or the grace runs out.
    let spec = record.options.animation_spec();
    let mut progress_record = record.clone();
    let mut written_percent = 0u8;
    let mut stop_reason = None;
    let rendered = pipeline::render_video_until(&strokes, &spec, 1, |done, total| {
        if pool.stop.grace_expired(pool.grace) {
            stop_reason = Some(StopReason::Shutdown);
            return ControlFlow::Break(());
        }
        let percent = (u64::from(done) * 100 / u64::from(total.max(1))) as u8;
        if percent >= 100 || percent < written_percent + PROGRESS_STEP_PERCENT {
            return ControlFlow::Continue(());
        }
        progress_record.status = OrderStatus::Rendering { percent };
        match queue::write_record(con, &pool.keyring, &keys, &progress_record) {
            Ok(true) => written_percent = percent,
            Ok(false) => {
                stop_reason = Some(StopReason::OrderGone);
                return ControlFlow::Break(());
            }
            // The render goes on: the result is written with a fresh command at the end.
            Err(error) => warn!(error = format!("{error:#}"), percent, "failed to write render progress"),
        }
        ControlFlow::Continue(())
    });
    drop(strokes);
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(error) if error.is::<RenderCancelled>() => {
            return match stop_reason {
                Some(StopReason::OrderGone) => drop_gone_order(con, &keys),
                Some(StopReason::Shutdown) | None => interrupt(pool, con, &keys, &mut record),
            };
        }
        Err(error) => {
            warn!(error = format!("{error:#}"), "render failed");
            // The outermost message ("invalid animation settings") is short and contains no personal data.
            let cause = error.to_string();
            return retry_or_fail(pool, con, &keys, &mut record, &cause);
        }
    };

    // Step 5: store the chunks, then mark the order ready. If the order went meanwhile, the chunks
    // just written go too.
    let video = VideoInfo::for_mp4(&rendered.mp4, rendered.frame_count);
    let chunk_keys = queue::write_chunks(con, &pool.keyring, &keys, &rendered.mp4, record.expires_at_ms)?;
    drop(rendered);
    record.status = OrderStatus::Ready;
    record.video = Some(video.clone());
    if !queue::write_record(con, &pool.keyring, &keys, &record)? {
        queue::delete(con, &chunk_keys)?;
        return drop_gone_order(con, &keys);
    }

    // Step 6: the point cloud is no longer needed once the MP4 is stored.
    queue::delete(con, &[keys.strokes()])?;
    info!(size_bytes = video.size_bytes, chunk_count = video.chunk_count, "render finished");
    Ok(Outcome::Finished)
}

fn open_record(pool: &Pool, keys: &OrderKeys, sealed: &[u8]) -> anyhow::Result<OrderRecord> {
    let json = pool.keyring.open(&keys.record(), sealed)?;
    OrderRecord::from_json(&json).context("order record is not valid JSON")
}

/// Reads and opens the strokes. The inner error is a cause fit for the order's failure reason.
fn read_strokes(
    pool: &Pool,
    con: &mut Connection,
    keys: &OrderKeys,
) -> anyhow::Result<Result<StrokeSet, &'static str>> {
    let Some(sealed) = queue::get(con, &keys.strokes())? else {
        warn!("strokes are missing");
        return Ok(Err("the drawing data is missing"));
    };
    let decoded = pool
        .keyring
        .open(&keys.strokes(), &sealed)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| StrokeSet::from_bytes(&bytes).map_err(anyhow::Error::from));
    Ok(decoded.map_err(|error| {
        warn!(error = format!("{error:#}"), "strokes cannot be read");
        "the drawing data cannot be read"
    }))
}

/// Ends a failed attempt: the order fails for good after [`MAX_ATTEMPTS`], or goes back to the queue.
fn retry_or_fail(
    pool: &Pool,
    con: &mut Connection,
    keys: &OrderKeys,
    record: &mut OrderRecord,
    cause: &str,
) -> anyhow::Result<Outcome> {
    if record.attempts >= MAX_ATTEMPTS {
        return fail_order(pool, con, keys, record, cause);
    }
    record.status = OrderStatus::Queued;
    if !queue::write_record(con, &pool.keyring, keys, record)? {
        return drop_gone_order(con, keys);
    }
    warn!(cause, "attempt failed; job requeued");
    Ok(Outcome::Retry)
}

fn fail_order(
    pool: &Pool,
    con: &mut Connection,
    keys: &OrderKeys,
    record: &mut OrderRecord,
    cause: &str,
) -> anyhow::Result<Outcome> {
    let reason = format!("rendering failed {MAX_ATTEMPTS} times: {cause}");
    error!(reason = %reason, "order failed");
    record.status = OrderStatus::Failed { reason };
    queue::write_record(con, &pool.keyring, keys, record)?;
    // No render will read the strokes again, so they go now rather than at the order's expiry.
    queue::delete(con, &[keys.strokes()])?;
    Ok(Outcome::Finished)
}

/// Puts the order back to queued with the attempt uncounted, for the worker that takes it next.
fn interrupt(
    pool: &Pool,
    con: &mut Connection,
    keys: &OrderKeys,
    record: &mut OrderRecord,
) -> anyhow::Result<Outcome> {
    record.attempts -= 1;
    record.status = OrderStatus::Queued;
    if !queue::write_record(con, &pool.keyring, keys, record)? {
        return drop_gone_order(con, keys);
    }
    info!(grace_secs = pool.grace.as_secs(), "render unfinished after the grace period; job requeued");
    Ok(Outcome::Interrupted)
}

/// Cleans up after an order that disappeared mid-render. Its strokes usually went with it; deleting
/// them again covers a record that expired or was deleted alone.
fn drop_gone_order(con: &mut Connection, keys: &OrderKeys) -> anyhow::Result<Outcome> {
    queue::delete(con, &[keys.strokes()])?;
    info!("order deleted or expired during the render; job dropped");
    Ok(Outcome::Finished)
}
