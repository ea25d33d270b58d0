//! `GET /api/orders/{token}/animation.mp4`: the video, whole or by range, with caching headers.

use anyhow::Context;
use store::{ChunkRange, MP4_CHUNK_BYTES, OrderRecord, OrderStatus, VideoInfo};

use crate::error::OrderError;
use crate::range::{RangeDecision, decide_range};
use crate::reply::Reply;
use crate::storage::{OrderStore, RedisCommands};
use crate::view::status_json;

/// Longest time a browser may cache the video, in seconds. Shorter when the order expires sooner,
/// so no cache outlives the order.
pub const MAX_CACHE_SECS: u64 = 3600;

/// The request headers and query flag the video route reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoRequest<'a> {
    /// The `Range` header.
    pub range: Option<&'a str>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<&'a str>,
    /// The `If-Range` header.
    pub if_range: Option<&'a str>,
    /// `?download=1` (or `true`): send as an attachment instead of inline.
    pub download: bool,
}

/// Serves the video of a ready order: `304` when the client's copy matches, `206` for a satisfiable
/// single range, `200` otherwise, reading only the chunks the bytes lie in.
pub fn serve_video<R: RedisCommands>(
    store: &OrderStore<'_, R>,
    token_text: &str,
    record: &OrderRecord,
    request: &VideoRequest<'_>,
    now_ms: u64,
) -> Result<Reply, OrderError> {
    let video = match (&record.status, &record.video) {
        (OrderStatus::Ready, Some(video)) => video,
        _ => return Err(OrderError::NotReady { status: status_json(token_text, record) }),
    };
    let etag = format!("\"{}\"", video.etag);

    // A cached copy that is still current.
    if request.if_none_match.is_some_and(|header| etag_matches(header, &etag)) {
        let mut reply = Reply::empty(304);
        set_video_headers(&mut reply, &etag, record.expires_at_ms, now_ms, request.download);
        return Ok(reply);
    }

    // `If-Range` with another validator (or a date, as no `Last-Modified` is sent) means the client's
    // partial copy is stale: send the whole file instead of the range.
    let range = match request.if_range {
        Some(validator) if validator.trim() != etag => None,
        _ => request.range,
    };
    let (status, first, last) = match decide_range(range, video.size_bytes) {
        RangeDecision::Whole => (200, 0, video.size_bytes.checked_sub(1)),
        RangeDecision::Partial { first, last } => (206, first, Some(last)),
        RangeDecision::Unsatisfiable => {
            return Err(OrderError::RangeNotSatisfiable { size_bytes: video.size_bytes });
        }
    };

    let mut reply = Reply::empty(status);
    set_video_headers(&mut reply, &etag, record.expires_at_ms, now_ms, request.download);
    reply.set_header("content-type", "video/mp4");
    if let Some(last) = last {
        reply.body = read_bytes(store, video, first, last)?;
    }
    if status == 206 {
        reply
            .set_header("content-range", format!("bytes {first}-{}/{}", last.unwrap_or(0), video.size_bytes));
    }
    Ok(reply)
}

/// Reads bytes `first..=last` of the video from the chunks they lie in, in one `MGET`.
pub fn read_bytes<R: RedisCommands>(
    store: &OrderStore<'_, R>,
    video: &VideoInfo,
    first: u64,
    last: u64,
) -> Result<Vec<u8>, OrderError> {
    if video.chunk_count != store::keys::chunk_count(video.size_bytes) {
        return Err(anyhow::anyhow!(
            "record lists {} chunks for {} bytes; expected {}",
            video.chunk_count,
            video.size_bytes,
            store::keys::chunk_count(video.size_bytes)
        )
        .into());
    }
    let range = ChunkRange::for_bytes(first, last);
    let keys: Vec<String> =
        (range.first_chunk..=range.last_chunk).map(|index| store.keys.mp4_chunk(index)).collect();
    let chunks = store.mget_opened(&keys)?;

    let mut joined = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for (index, chunk) in (range.first_chunk..).zip(chunks) {
        let chunk_start = u64::from(index) * MP4_CHUNK_BYTES;
        let expected_bytes = MP4_CHUNK_BYTES.min(video.size_bytes - chunk_start);
        if chunk.len() as u64 != expected_bytes {
            return Err(
                anyhow::anyhow!("chunk {index} is {} bytes; expected {expected_bytes}", chunk.len()).into()
            );
        }
        joined.extend_from_slice(&chunk);
    }

    let skip = usize::try_from(range.skip_bytes).context("range offset does not fit in memory")?;
    let len = usize::try_from(range.len_bytes).context("range length does not fit in memory")?;
    joined.drain(..skip);
    joined.truncate(len);
    Ok(joined)
}

/// Sets the headers every successful video response carries, `304` included.
fn set_video_headers(reply: &mut Reply, etag: &str, expires_at_ms: u64, now_ms: u64, download: bool) {
    let disposition = if download { "attachment" } else { "inline" };
    reply.set_header("accept-ranges", "bytes");
    reply.set_header("etag", etag);
    reply.set_header(
        "cache-control",
        format!("private, max-age={}", cache_max_age_secs(expires_at_ms, now_ms)),
    );
    reply.set_header("content-disposition", format!("{disposition}; filename=\"sketch.mp4\""));
}

/// Returns the seconds left until the order expires, rounded down and capped at [`MAX_CACHE_SECS`].
pub fn cache_max_age_secs(expires_at_ms: u64, now_ms: u64) -> u64 {
    (expires_at_ms.saturating_sub(now_ms) / 1000).min(MAX_CACHE_SECS)
}

/// Checks an `If-None-Match` header against the ETag with the weak comparison RFC 9110 asks for.
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_never_outlives_order() {
        assert_eq!(cache_max_age_secs(10_000_000, 0), 3600);
        assert_eq!(cache_max_age_secs(90_500, 0), 90);
        assert_eq!(cache_max_age_secs(1_000, 1_000), 0);
        assert_eq!(cache_max_age_secs(1_000, 5_000), 0);
    }

    #[test]
    fn etag_comparison_is_weak() {
        let etag = "\"abc\"";
        assert!(etag_matches("\"abc\"", etag));
        assert!(etag_matches("W/\"abc\"", etag));
        assert!(etag_matches("\"x\", \"abc\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"abcd\"", etag));
        assert!(!etag_matches("abc", etag));
    }
}
