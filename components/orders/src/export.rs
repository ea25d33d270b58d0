//! `GET /api/orders/{token}/data`: a JSON export of everything held for one order.

use serde_json::{Value, json};
use spin_sdk::redis::RedisResult;
use store::time::format_rfc3339_ms;
use store::{OrderRecord, QueueKeys};
use strokes::StrokeSet;

use crate::error::OrderError;
use crate::storage::{OrderStore, RedisCommands, bytes};
use crate::view::status_json;

/// Builds the export: the record (options, status, times, attempts, video facts), every key held
/// with its size and expiry, the queues the order is in, and the stroke set's size while it exists.
pub fn export_json<R: RedisCommands>(
    store: &OrderStore<'_, R>,
    token_text: &str,
    record: &OrderRecord,
    now_ms: u64,
) -> Result<Value, OrderError> {
    // Every key the order can have, with its stored size and expiry (`PEXPIRETIME` needs Redis 7).
    let chunk_count = record.video.as_ref().map_or(0, |video| video.chunk_count);
    let mut keys = Vec::new();
    for key in store.keys.all(chunk_count) {
        let size_bytes = single_int(store.execute("STRLEN", &[bytes(&key)])?, "STRLEN")?;
        if size_bytes == 0 {
            continue;
        }
        let expires_at_ms = single_int(store.execute("PEXPIRETIME", &[bytes(&key)])?, "PEXPIRETIME")?;
        let expires_at = u64::try_from(expires_at_ms).ok().map(format_rfc3339_ms);
        keys.push(json!({ "key": key, "size_bytes": size_bytes, "expires_at": expires_at }));
    }

    // The render queues that hold the order's id.
    let mut queues = Vec::new();
    for list in [QueueKeys::PENDING, QueueKeys::PROCESSING] {
        let position = store.execute("LPOS", &[bytes(list), bytes(&store.id)])?;
        if matches!(position.as_slice(), [RedisResult::Int64(_)]) {
            queues.push(list);
        }
    }

    // The point cloud, until the worker deletes it after storing the video.
    let strokes = match store.get_opened(&store.keys.strokes())? {
        None => Value::Null,
        Some(plain) => match StrokeSet::from_bytes(&plain) {
            Ok(set) => json!({
                "stroke_count": set.strokes.len(),
                "point_count": set.point_count(),
                "width": set.width,
                "height": set.height,
            }),
            Err(error) => {
                eprintln!("orders: stored stroke set of order_id={} does not decode: {error}", store.id);
                Value::Null
            }
        },
    };

    let video = record.video.as_ref().map(|video| {
        json!({
            "size_bytes": video.size_bytes,
            "chunk_count": video.chunk_count,
            "frame_count": video.frame_count,
            "etag": video.etag,
        })
    });
    Ok(json!({
        "exported_at": format_rfc3339_ms(now_ms),
        "order_id": store.id,
        "order": {
            "status": status_json(token_text, record),
            "attempts": record.attempts,
            "video": video,
        },
        "keys": keys,
        "queues": queues,
        "strokes": strokes,
    }))
}

fn single_int(reply: Vec<RedisResult>, command: &str) -> Result<i64, OrderError> {
    match reply.as_slice() {
        [RedisResult::Int64(number)] => Ok(*number),
        other => Err(anyhow::anyhow!("unexpected {command} reply: {other:?}").into()),
    }
}
