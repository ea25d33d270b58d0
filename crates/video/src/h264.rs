//! H.264 encoding with openh264, configured for line drawings on a flat background.
//!
//! The crate's defaults suit video calls, not stored animations: 120 kbit/s and frame skipping would
//! drop frames and smear thin lines. The settings here never skip a frame, give rate control a budget
//! sized to the frame area, put an IDR frame every two seconds so players can seek, and tag the stream
//! as BT.601 limited range so every player converts colours the same way.

use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, RateControlMode,
    UsageType, VuiConfig,
};

use crate::frame::{Yuv420Frame, check_dimensions};
use crate::{FPS, VideoError};

/// Bits per pixel per frame that [`EncoderSettings::for_size`] budgets.
///
/// Line drawings change little between frames, so 0.08 bit per pixel (about 2.8 Mbit/s at 1080x1080
/// and 30 fps) keeps lines sharp; the benchmark in BENCHMARKS.md records the SSIM it reaches.
pub const DEFAULT_BITS_PER_PIXEL: f64 = 0.08;

/// Frames between IDR frames: two seconds, so a player can seek without decoding from the start.
pub const KEYFRAME_INTERVAL_FRAMES: u32 = 2 * FPS;

/// Encoder settings for one video.
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use]
pub struct EncoderSettings {
    /// Frame width in pixels; even.
    pub width: u32,
    /// Frame height in pixels; even.
    pub height: u32,
    /// Target bit rate of rate control, in bits per second.
    pub bitrate_bps: u32,
    /// Encoder threads: 1 for a worker pool that runs one encode per core, 0 lets openh264 choose.
    pub threads: u16,
}

impl EncoderSettings {
    /// Returns settings for a `width` by `height` video at the default bit budget, single-threaded.
    pub fn for_size(width: u32, height: u32) -> Self {
        let bits = f64::from(width) * f64::from(height) * f64::from(FPS) * DEFAULT_BITS_PER_PIXEL;
        Self { width, height, bitrate_bps: bits.round() as u32, threads: 1 }
    }

    /// Sets the target bit rate in bits per second.
    pub fn with_bitrate_bps(mut self, bitrate_bps: u32) -> Self {
        self.bitrate_bps = bitrate_bps;
        self
    }

    /// Sets the number of encoder threads (0 lets openh264 choose).
    pub fn with_threads(mut self, threads: u16) -> Self {
        self.threads = threads;
        self
    }

    fn to_config(self) -> EncoderConfig {
        EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(self.bitrate_bps))
            .max_frame_rate(FrameRate::from_hz(FPS as f32))
            .skip_frames(false)
            .complexity(Complexity::Medium)
            .intra_frame_period(IntraFramePeriod::from_num_frames(KEYFRAME_INTERVAL_FRAMES))
            // Drawings have no scene cuts; detection would only add unplanned IDR frames.
            .scene_change_detect(false)
            .background_detection(false)
            .num_threads(self.threads)
            .vui(VuiConfig::bt601())
    }
}

/// An openh264 encoder that turns YUV frames into Annex B H.264, one access unit per frame.
pub struct H264Encoder {
    encoder: Encoder,
    settings: EncoderSettings,
    frames_encoded: u32,
}

impl H264Encoder {
    /// Creates an encoder after checking the frame size.
    pub fn new(settings: EncoderSettings) -> Result<Self, VideoError> {
        check_dimensions(settings.width, settings.height)?;
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), settings.to_config())
            .map_err(|error| VideoError::Encoder(error.to_string()))?;
        Ok(Self { encoder, settings, frames_encoded: 0 })
    }

    /// Encodes `frame` and appends its Annex B bytes (start codes included) to `out`.
    pub fn encode(&mut self, frame: &Yuv420Frame, out: &mut Vec<u8>) -> Result<(), VideoError> {
        let (width, height) = (self.settings.width, self.settings.height);
        if frame.width() != width || frame.height() != height {
            return Err(VideoError::FrameSizeMismatch {
                width,
                height,
                found_width: frame.width(),
                found_height: frame.height(),
            });
        }

        let index = self.frames_encoded;
        let bitstream = self.encoder.encode(frame).map_err(|error| VideoError::Encoder(error.to_string()))?;
        if matches!(bitstream.frame_type(), FrameType::Skip | FrameType::Invalid) {
            return Err(VideoError::FrameSkipped { index });
        }
        let before = out.len();
        bitstream.write_vec(out);
        if out.len() == before {
            return Err(VideoError::FrameSkipped { index });
        }

        self.frames_encoded += 1;
        Ok(())
    }

    /// Returns the number of frames encoded so far.
    pub fn frames_encoded(&self) -> u32 {
        self.frames_encoded
    }
}
