//! Frames to MP4: H.264 encoding with openh264 and MP4 muxing with minimp4, both behind a safe API.
//!
//! The crate takes frames that are already converted to BT.601 limited-range YUV 4:2:0 and returns a
//! complete faststart MP4 in memory. It does not render or convert colours: the `animation` crate does
//! that. It is native only, because both encoder and muxer are C libraries.
//!
//! Layout:
//! - [`frame`]: the planar YUV 4:2:0 frame and its dimension rules (even width and height).
//! - [`h264`]: the openh264 encoder with settings chosen for line drawings.
//! - [`mux`]: the minimp4 muxer, kept boxed and writing to memory, and the faststart rewrite.
//! - [`Mp4Writer`]: both together, the usual entry point.
#![forbid(unsafe_code)]

pub mod frame;
pub mod h264;
pub mod mux;

pub use frame::Yuv420Frame;
pub use h264::{EncoderSettings, H264Encoder};
pub use mux::{Mp4Muxer, make_faststart};

/// Frame rate of every video this crate writes, in frames per second.
pub const FPS: u32 = 30;

/// Error from encoding or muxing a video.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// The requested dimensions cannot be encoded.
    #[error("invalid video size {width}x{height}: {reason}")]
    InvalidSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
        /// The rule the size breaks.
        reason: &'static str,
    },
    /// A frame of other dimensions than the video was passed in.
    #[error("frame is {found_width}x{found_height}; the video is {width}x{height}")]
    FrameSizeMismatch {
        /// Video width in pixels.
        width: u32,
        /// Video height in pixels.
        height: u32,
        /// Frame width in pixels.
        found_width: u32,
        /// Frame height in pixels.
        found_height: u32,
    },
    /// openh264 reported an error.
    #[error("h264 encoder failed: {0}")]
    Encoder(String),
    /// The encoder dropped a frame, which would shorten the video.
    #[error("h264 encoder skipped frame {index}")]
    FrameSkipped {
        /// Zero-based index of the skipped frame.
        index: u32,
    },
    /// The muxer produced a file this crate cannot rewrite as faststart.
    #[error("mp4 layout unexpected: {0}")]
    Layout(String),
    /// `finish` was called before any frame was written.
    #[error("no frames were written; a video needs at least one")]
    Empty,
}

/// Encodes YUV frames to H.264 and muxes them into a faststart MP4 in memory.
///
/// ```no_run
/// # fn demo() -> Result<(), video::VideoError> {
/// let mut writer = video::Mp4Writer::new(video::EncoderSettings::for_size(720, 720))?;
/// let frame = video::Yuv420Frame::new(720, 720)?;
/// writer.write_frame(&frame)?;
/// let mp4: Vec<u8> = writer.finish()?;
/// # Ok(()) }
/// ```
pub struct Mp4Writer {
    encoder: H264Encoder,
    muxer: Mp4Muxer,
    /// Reused across frames, so encoding allocates nothing per frame after the first.
    annex_b: Vec<u8>,
}

impl Mp4Writer {
    /// Creates an encoder and muxer for frames of the size in `settings`.
    pub fn new(settings: EncoderSettings) -> Result<Self, VideoError> {
        let encoder = H264Encoder::new(settings)?;
        let muxer = Mp4Muxer::new(settings.width, settings.height, FPS);
        Ok(Self { encoder, muxer, annex_b: Vec::new() })
    }

    /// Encodes one frame and adds it to the video.
    pub fn write_frame(&mut self, frame: &Yuv420Frame) -> Result<(), VideoError> {
        self.annex_b.clear();
        self.encoder.encode(frame, &mut self.annex_b)?;
        self.muxer.write_frame(&self.annex_b);
        Ok(())
    }

    /// Returns the number of frames written so far.
    pub fn frame_count(&self) -> u32 {
        self.muxer.frame_count()
    }

    /// Closes the video and returns the faststart MP4 bytes.
    pub fn finish(self) -> Result<Vec<u8>, VideoError> {
        self.muxer.finish()
    }
}
