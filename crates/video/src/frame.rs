//! Planar YUV 4:2:0 frames (I420), the encoder's input.

use crate::VideoError;

/// Smallest width or height accepted, in pixels (one H.264 macroblock).
pub const MIN_DIMENSION: u32 = 16;

/// Largest width or height accepted, in pixels; openh264 encodes up to 3840x2160.
pub const MAX_DIMENSION: u32 = 3840;

/// A planar YUV 4:2:0 frame in BT.601 limited range, as the encoder takes it.
///
/// Width and height are even: 4:2:0 halves both for the chroma planes, and an odd size would be
/// cropped or rejected by decoders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuv420Frame {
    width: u32,
    height: u32,
    /// Luma, `width * height` bytes, row stride `width`.
    pub y: Vec<u8>,
    /// Blue-difference chroma, `width/2 * height/2` bytes, row stride `width/2`.
    pub u: Vec<u8>,
    /// Red-difference chroma, the same size as `u`.
    pub v: Vec<u8>,
}

impl Yuv420Frame {
    /// Creates a black frame (Y 16, U and V 128) after checking the dimensions.
    pub fn new(width: u32, height: u32) -> Result<Self, VideoError> {
        check_dimensions(width, height)?;
        let luma = (width * height) as usize;
        Ok(Self { width, height, y: vec![16; luma], u: vec![128; luma / 4], v: vec![128; luma / 4] })
    }

    /// Returns the width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Returns the height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
}

/// Checks that a video of `width` by `height` pixels can be encoded.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), VideoError> {
    let invalid = |reason| Err(VideoError::InvalidSize { width, height, reason });
    if !width.is_multiple_of(2) || !height.is_multiple_of(2) {
        return invalid("width and height must be even for 4:2:0 video");
    }
    if width < MIN_DIMENSION || height < MIN_DIMENSION {
        return invalid("width and height must be at least 16 pixels");
    }
    if width.max(height) > MAX_DIMENSION || width.min(height) > 2160 {
        return invalid("the limit is 3840x2160 or 2160x3840 pixels");
    }
    Ok(())
}

impl openh264::formats::YUVSource for Yuv420Frame {
    fn dimensions(&self) -> (usize, usize) {
        (self.width as usize, self.height as usize)
    }

    fn strides(&self) -> (usize, usize, usize) {
        let half = self.width as usize / 2;
        (self.width as usize, half, half)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}
