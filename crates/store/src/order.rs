//! Orders: what the visitor asked for, how far the render is, and how long everything is kept.

use animation::{AnimationSpec, Style};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use strokes::Rgb;

/// Milliseconds in an hour.
const HOUR_MS: u64 = 60 * 60 * 1000;

/// The plan the visitor paid for, which sets how long the order is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// A single purchase: kept 24 hours.
    Single,
    /// The pro plan: kept 30 days.
    Pro,
}

impl Plan {
    /// Returns how long every key of an order on this plan lives, in milliseconds.
    pub const fn retention_ms(self) -> u64 {
        match self {
            Plan::Single => 24 * HOUR_MS,
            Plan::Pro => 30 * 24 * HOUR_MS,
        }
    }

    /// Returns the name used in requests and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Plan::Single => "single",
            Plan::Pro => "pro",
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "single" => Ok(Plan::Single),
            "pro" => Ok(Plan::Pro),
            other => Err(format!("invalid plan {other:?}: expected single or pro")),
        }
    }
}

/// The animation settings chosen for an order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrderOptions {
    /// Animation style.
    pub style: Style,
    /// Video width in pixels.
    pub width: u32,
    /// Video height in pixels.
    pub height: u32,
    /// Video length in milliseconds.
    pub duration_ms: u32,
    /// Background colour.
    pub background: Rgb,
    /// Line colour.
    pub sketch: Rgb,
    /// The plan, which sets the retention.
    pub plan: Plan,
}

impl OrderOptions {
    /// Returns the animation settings the worker renders with.
    pub fn animation_spec(&self) -> AnimationSpec {
        AnimationSpec {
            style: self.style,
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms,
            background: self.background,
            sketch: self.sketch,
        }
    }
}

/// Progress of an order's render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum OrderStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker is drawing and encoding.
    Rendering {
        /// Share of frames encoded, 0–100.
        percent: u8,
    },
    /// The MP4 is stored and can be downloaded.
    Ready,
    /// The render gave up.
    Failed {
        /// Why, in words a visitor can read; never personal data.
        reason: String,
    },
}

/// Facts about the stored MP4, enough to serve range requests without reading every chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoInfo {
    /// File size in bytes.
    pub size_bytes: u64,
    /// Number of sealed chunks of [`crate::MP4_CHUNK_BYTES`] (the last may be shorter).
    pub chunk_count: u32,
    /// Strong validator for HTTP caching: a hash of the file, in hex.
    pub etag: String,
    /// Number of frames.
    pub frame_count: u32,
}

impl VideoInfo {
    /// Describes an MP4 file about to be stored in chunks.
    ///
    /// The etag is the first 16 bytes of the file's SHA-256 in hex (32 characters, no quotes).
    pub fn for_mp4(mp4: &[u8], frame_count: u32) -> Self {
        let digest = Sha256::digest(mp4);
        let mut etag = String::with_capacity(32);
        for byte in &digest[..16] {
            etag.push_str(&format!("{byte:02x}"));
        }
        Self {
            size_bytes: mp4.len() as u64,
            chunk_count: crate::keys::chunk_count(mp4.len() as u64),
            etag,
            frame_count,
        }
    }
}

/// Everything stored about an order, sealed under its record key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Creation time, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The instant every key of the order expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// The visitor's choices.
    pub options: OrderOptions,
    /// Render progress.
    pub status: OrderStatus,
    /// Render attempts started so far; the job fails for good after a few.
    pub attempts: u32,
    /// The stored MP4, once the status is ready.
    pub video: Option<VideoInfo>,
}

impl OrderRecord {
    /// Creates the record of a new, queued order.
    pub fn new(options: OrderOptions, created_at_ms: u64) -> Self {
        Self {
            created_at_ms,
            expires_at_ms: created_at_ms + options.plan.retention_ms(),
            options,
            status: OrderStatus::Queued,
            attempts: 0,
            video: None,
        }
    }

    /// Serialises the record as JSON (sealed before it is stored).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an order record always serialises")
    }

    /// Reads a record written by [`OrderRecord::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MP4_CHUNK_BYTES;

    fn options(plan: Plan) -> OrderOptions {
        OrderOptions {
            style: Style::Pen,
            width: 720,
            height: 720,
            duration_ms: 10_000,
            background: Rgb::WHITE,
            sketch: Rgb::BLACK,
            plan,
        }
    }

    #[test]
    fn retention_follows_plan() {
        assert_eq!(Plan::Single.retention_ms(), 86_400_000);
        assert_eq!(Plan::Pro.retention_ms(), 2_592_000_000);
        let record = OrderRecord::new(options(Plan::Pro), 1_000);
        assert_eq!(record.expires_at_ms, 1_000 + 2_592_000_000);
    }

    #[test]
    fn record_round_trips_through_json() {
        let mut record = OrderRecord::new(options(Plan::Single), 5);
        record.status = OrderStatus::Rendering { percent: 42 };
        let json = record.to_json();
        assert!(String::from_utf8_lossy(&json).contains(r#""state":"rendering""#));
        assert_eq!(OrderRecord::from_json(&json).unwrap(), record);
    }

    #[test]
    fn video_info_describes_file() {
        let mp4 = vec![7u8; MP4_CHUNK_BYTES as usize + 1];
        let info = VideoInfo::for_mp4(&mp4, 150);
        assert_eq!(info.size_bytes, MP4_CHUNK_BYTES + 1);
        assert_eq!(info.chunk_count, 2);
        assert_eq!(info.frame_count, 150);
        assert_eq!(info.etag.len(), 32);
        assert!(info.etag.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert_ne!(info.etag, VideoInfo::for_mp4(b"other", 150).etag);
    }

    #[test]
    fn plan_parses_known_names_only() {
        assert_eq!("pro".parse::<Plan>(), Ok(Plan::Pro));
        assert!("gold".parse::<Plan>().unwrap_err().contains("gold"));
    }
}
