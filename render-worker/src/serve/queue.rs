//! Every Redis command the worker pool sends, one function each.
//!
//! The edge components follow the same protocol, and keeping the commands together makes it easy to
//! check. Key and list names come from the `store` crate, and every value is sealed under its key
//! name. Every key of an order expires at the record's `expires_at_ms`.

use std::time::Duration;

use anyhow::Context;
use redis::{Connection, Value};
use store::{Keyring, OrderId, OrderKeys, OrderRecord, QueueKeys};

/// Lifetime of a claim: a worker that stops renewing it for this long is presumed dead.
pub const CLAIM_TTL: Duration = Duration::from_secs(15);

/// How long one `BLMOVE` waits for a job, in seconds, so a stopping worker notices soon.
const TAKE_TIMEOUT_SECS: u64 = 1;

/// Moves a job back to the pending list and drops its claim, unless it already left the
/// processing list. `RPUSH` puts it at the end that `BLMOVE` takes from, so it runs next.
const REQUEUE_SCRIPT: &str = r"
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return 1
";

/// The reaper's requeue: like [`REQUEUE_SCRIPT`], but only while the job is still unclaimed, so a
/// worker that claimed it since the last scan keeps it.
const REAP_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
";

/// Takes the oldest pending job: `BLMOVE render:pending render:processing RIGHT LEFT 1`.
///
/// Returns the order id as stored, or `None` when no job arrived within a second.
pub fn take(con: &mut Connection) -> anyhow::Result<Option<String>> {
    let id = redis::cmd("BLMOVE")
        .arg(QueueKeys::PENDING)
        .arg(QueueKeys::PROCESSING)
        .arg("RIGHT")
        .arg("LEFT")
        .arg(TAKE_TIMEOUT_SECS)
        .query(con)
        .context("failed to take a job (BLMOVE)")?;
    Ok(id)
}

/// Claims or renews the claim on a job: `SET render:claim:{id} WORKER PX 15000`.
pub fn claim(con: &mut Connection, id: &OrderId, worker: &str) -> anyhow::Result<()> {
    claim_command(id, worker).query::<()>(con).context("failed to claim a job (SET PX)")
}

/// Renews several claims in one round trip.
pub fn renew_claims<'a>(
    con: &mut Connection,
    claims: impl Iterator<Item = (&'a OrderId, &'a String)>,
) -> anyhow::Result<()> {
    let mut pipe = redis::pipe();
    for (id, worker) in claims {
        pipe.add_command(claim_command(id, worker)).ignore();
    }
    pipe.query::<()>(con).context("failed to renew claims (SET PX)")
}

fn claim_command(id: &OrderId, worker: &str) -> redis::Cmd {
    let mut command = redis::cmd("SET");
    command.arg(QueueKeys::claim(id)).arg(worker).arg("PX").arg(CLAIM_TTL.as_millis() as u64);
    command
}

/// Removes a finished job: `MULTI; LREM render:processing 1 ID; DEL render:claim:{id}; EXEC`.
pub fn finish(con: &mut Connection, id: &OrderId) -> anyhow::Result<()> {
    redis::pipe()
        .atomic()
        .cmd("LREM")
        .arg(QueueKeys::PROCESSING)
        .arg(1)
        .arg(id.as_str())
        .ignore()
        .cmd("DEL")
        .arg(QueueKeys::claim(id))
        .ignore()
        .query::<()>(con)
        .context("failed to remove a finished job (LREM, DEL)")
}

/// Removes an entry that is not an order id from the processing list: `LREM render:processing 1 TEXT`.
pub fn drop_malformed(con: &mut Connection, text: &str) -> anyhow::Result<()> {
    redis::cmd("LREM")
        .arg(QueueKeys::PROCESSING)
        .arg(1)
        .arg(text)
        .query::<()>(con)
        .context("failed to remove a malformed job (LREM)")
}

/// Gives a job back to the queue (`LREM` processing, `RPUSH` pending, `DEL` claim, in one script).
///
/// Returns false when the job was no longer in the processing list.
pub fn requeue(con: &mut Connection, id: &OrderId) -> anyhow::Result<bool> {
    run_queue_script(con, REQUEUE_SCRIPT, id.as_str()).context("failed to requeue a job (EVAL)")
}

/// Requeues a job found unclaimed by the reaper (`LREM` processing, `RPUSH` pending, in one
/// script), unless a worker claimed it meanwhile. Returns whether the job was requeued.
pub fn reap(con: &mut Connection, id: &str) -> anyhow::Result<bool> {
    run_queue_script(con, REAP_SCRIPT, id).context("failed to requeue an abandoned job (EVAL)")
}

fn run_queue_script(con: &mut Connection, script: &str, id: &str) -> redis::RedisResult<bool> {
    // The claim key is built from the text as stored, so a malformed entry still gets a key name.
    let claim = format!("render:claim:{id}");
    let moved: i64 = redis::cmd("EVAL")
        .arg(script)
        .arg(3)
        .arg(QueueKeys::PROCESSING)
        .arg(QueueKeys::PENDING)
        .arg(claim)
        .arg(id)
        .query(con)?;
    Ok(moved == 1)
}

/// Lists the jobs taken and not finished: `LRANGE render:processing 0 -1`.
pub fn processing(con: &mut Connection) -> anyhow::Result<Vec<String>> {
    redis::cmd("LRANGE")
        .arg(QueueKeys::PROCESSING)
        .arg(0)
        .arg(-1)
        .query(con)
        .context("failed to list jobs in progress (LRANGE)")
}

/// Checks which of `ids` have a claim: one `EXISTS render:claim:{id}` each, pipelined.
pub fn claimed(con: &mut Connection, ids: &[String]) -> anyhow::Result<Vec<bool>> {
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("EXISTS").arg(format!("render:claim:{id}"));
    }
    pipe.query(con).context("failed to check claims (EXISTS)")
}

/// Reads a raw value: `GET KEY`.
pub fn get(con: &mut Connection, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
    redis::cmd("GET").arg(key).query(con).with_context(|| format!("failed to read {key} (GET)"))
}

/// Seals and writes the record only while it still exists: `SET KEY VALUE PXAT EXPIRES XX`.
///
/// Returns false when the record is gone (order deleted or expired), so a worker never brings a
/// deleted order back.
pub fn write_record(
    con: &mut Connection,
    keyring: &Keyring,
    keys: &OrderKeys,
    record: &OrderRecord,
) -> anyhow::Result<bool> {
    let key = keys.record();
    let sealed = keyring.seal(&key, &record.to_json()).context("failed to seal the order record")?;
    let reply: Value = redis::cmd("SET")
        .arg(&key)
        .arg(sealed)
        .arg("PXAT")
        .arg(record.expires_at_ms)
        .arg("XX")
        .query(con)
        .context("failed to write the order record (SET XX)")?;
    Ok(!matches!(reply, Value::Nil))
}

/// Seals and writes the MP4 in chunks, one `SET order:{id}:mp4:{n} VALUE PXAT EXPIRES` each,
/// pipelined. Returns the chunk keys.
pub fn write_chunks(
    con: &mut Connection,
    keyring: &Keyring,
    keys: &OrderKeys,
    mp4: &[u8],
    expires_at_ms: u64,
) -> anyhow::Result<Vec<String>> {
    let mut pipe = redis::pipe();
    let mut names = Vec::new();
    for (index, chunk) in mp4.chunks(store::MP4_CHUNK_BYTES as usize).enumerate() {
        let key = keys.mp4_chunk(index as u32);
        let sealed = keyring.seal(&key, chunk).context("failed to seal an mp4 chunk")?;
        pipe.cmd("SET").arg(&key).arg(sealed).arg("PXAT").arg(expires_at_ms).ignore();
        names.push(key);
    }
    pipe.query::<()>(con).context("failed to write the mp4 chunks (SET PXAT)")?;
    Ok(names)
}

/// Deletes keys: `DEL KEY...`.
pub fn delete(con: &mut Connection, keys: &[String]) -> anyhow::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    redis::cmd("DEL").arg(keys).query::<()>(con).context("failed to delete keys (DEL)")
}
