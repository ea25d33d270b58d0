//! The Redis key schema, the render queue, and MP4 chunking.
//!
//! Every key of an order starts with `order:{id}:` and is written with `PXAT expires_at_ms`, the same
//! instant for all of them, so Redis drops the whole order at once when it expires. Deleting an order
//! deletes [`OrderKeys::all`] in one `DEL`.
//!
//! | key | value |
//! |---|---|
//! | `order:{id}:record` | sealed [`crate::OrderRecord`] JSON |
//! | `order:{id}:strokes` | sealed stroke set (bincode), deleted once the MP4 is stored |
//! | `order:{id}:mp4:{n}` | sealed chunk `n` of the MP4, [`MP4_CHUNK_BYTES`] each |
//!
//! The render queue is two lists of order ids (ids, not tokens): [`QueueKeys::PENDING`] and
//! [`QueueKeys::PROCESSING`]. A worker moves an id atomically from the first to the second
//! (`BLMOVE`), writes the claim key [`QueueKeys::claim`] with a short expiry and renews it while it
//! renders (the heartbeat), and removes the id when done. A reaper moves ids whose claim has expired
//! back to the pending list.

use crate::OrderId;

/// Size of one sealed MP4 chunk before sealing: 256 KiB.
///
/// A range request reads only the chunks it overlaps, and each chunk stays far below Redis's
/// 512 MB string limit and any proxy's value limit.
pub const MP4_CHUNK_BYTES: u64 = 256 * 1024;

/// The names of one order's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKeys {
    prefix: String,
}

impl OrderKeys {
    /// Returns the key names of the order stored under `id`.
    pub fn new(id: &OrderId) -> Self {
        Self { prefix: format!("order:{id}:") }
    }

    /// Returns the key of the sealed order record.
    pub fn record(&self) -> String {
        format!("{}record", self.prefix)
    }

    /// Returns the key of the sealed stroke set.
    pub fn strokes(&self) -> String {
        format!("{}strokes", self.prefix)
    }

    /// Returns the key of MP4 chunk `index`.
    pub fn mp4_chunk(&self, index: u32) -> String {
        format!("{}mp4:{index}", self.prefix)
    }

    /// Returns every key the order can have, given how many MP4 chunks it has (0 before it is ready).
    pub fn all(&self, chunk_count: u32) -> Vec<String> {
        let mut keys = vec![self.record(), self.strokes()];
        keys.extend((0..chunk_count).map(|index| self.mp4_chunk(index)));
        keys
    }

    /// Returns the pattern matching every key of the order, for `SCAN` in tests and exports.
    pub fn pattern(&self) -> String {
        format!("{}*", self.prefix)
    }
}

/// Names of the render queue's lists and the claim keys.
pub struct QueueKeys;

impl QueueKeys {
    /// Order ids waiting for a worker, oldest at the right (`LPUSH` to add, `BLMOVE RIGHT LEFT` to take).
    pub const PENDING: &'static str = "render:pending";
    /// Order ids a worker has taken and not finished.
    pub const PROCESSING: &'static str = "render:processing";

    /// Returns the key that claims an order for one worker, holding that worker's name. The worker
    /// renews its short expiry while it renders.
    pub fn claim(id: &OrderId) -> String {
        format!("render:claim:{id}")
    }
}

/// The chunks a byte range of the MP4 overlaps, and where the range starts in the first of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    /// First chunk to read.
    pub first_chunk: u32,
    /// Last chunk to read (inclusive).
    pub last_chunk: u32,
    /// Offset of the range's first byte inside the first chunk.
    pub skip_bytes: u64,
    /// Length of the range in bytes.
    pub len_bytes: u64,
}

impl ChunkRange {
    /// Returns the chunks covering bytes `start..=end` (inclusive, as in HTTP ranges).
    ///
    /// The caller has already checked `start <= end < file size`.
    pub fn for_bytes(start: u64, end: u64) -> Self {
        Self {
            first_chunk: (start / MP4_CHUNK_BYTES) as u32,
            last_chunk: (end / MP4_CHUNK_BYTES) as u32,
            skip_bytes: start % MP4_CHUNK_BYTES,
            len_bytes: end - start + 1,
        }
    }
}

/// Returns how many chunks a file of `size_bytes` is split into.
pub fn chunk_count(size_bytes: u64) -> u32 {
    size_bytes.div_ceil(MP4_CHUNK_BYTES) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrderToken;

    #[test]
    fn all_keys_share_the_order_prefix() {
        let id = OrderToken::generate().unwrap().order_id();
        let keys = OrderKeys::new(&id);
        let all = keys.all(3);
        assert_eq!(all.len(), 5);
        let prefix = keys.pattern().trim_end_matches('*').to_owned();
        assert!(all.iter().all(|key| key.starts_with(&prefix)));
        assert!(all.contains(&keys.mp4_chunk(2)));
    }

    #[test]
    fn chunk_range_covers_requested_bytes() {
        let range = ChunkRange::for_bytes(MP4_CHUNK_BYTES - 10, MP4_CHUNK_BYTES + 9);
        assert_eq!((range.first_chunk, range.last_chunk), (0, 1));
        assert_eq!(range.skip_bytes, MP4_CHUNK_BYTES - 10);
        assert_eq!(range.len_bytes, 20);

        let single = ChunkRange::for_bytes(0, 0);
        assert_eq!((single.first_chunk, single.last_chunk, single.len_bytes), (0, 0, 1));
    }

    #[test]
    fn chunk_count_rounds_up() {
        assert_eq!(chunk_count(0), 0);
        assert_eq!(chunk_count(1), 1);
        assert_eq!(chunk_count(MP4_CHUNK_BYTES), 1);
        assert_eq!(chunk_count(MP4_CHUNK_BYTES + 1), 2);
    }
}
