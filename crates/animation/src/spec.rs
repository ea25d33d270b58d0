//! The animation request ([`AnimationSpec`]), its limits and frame timing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strokes::Rgb;

use crate::error::AnimationError;

/// Frame rate of every animation, in frames per second.
pub const FPS: u32 = 30;

/// How long the finished drawing stays on screen at the end, in milliseconds.
pub const HOLD_MS: u32 = 1_500;

/// Number of frames at the end that show the finished drawing ([`HOLD_MS`] at [`FPS`]).
pub const HOLD_FRAMES: u32 = HOLD_MS * FPS / 1_000;

/// Shortest accepted frame side in pixels.
pub const MIN_SIDE_PX: u32 = 240;

/// Longest accepted frame side in pixels (1080×1920 portrait video fits).
pub const MAX_SIDE_PX: u32 = 1_920;

/// Shortest accepted duration in milliseconds.
pub const MIN_DURATION_MS: u32 = 5_000;

/// Longest accepted duration in milliseconds.
pub const MAX_DURATION_MS: u32 = 30_000;

/// Largest number of points over all strokes that an animation accepts. It bounds the memory of the
/// sampled paths and the time of the Fourier transforms. A portrait has about 20 000 points.
///
/// NOTE: rendering time grows with the total pen-down length, which has no limit of its own. 250 000
/// random strokes spanning the canvas took about a minute to render at 1920×1920 for 5 s of video.
pub const MAX_STROKE_POINTS: usize = 500_000;

/// Ink line width at a 1080-pixel short side; it scales linearly with the short side.
const LINE_WIDTH_AT_1080_PX: f32 = 2.5;

/// Thinnest ink line in pixels. tiny-skia draws strokes of 1 px or less as hairlines, which have no
/// round caps or joins.
const MIN_LINE_WIDTH_PX: f32 = 1.2;

/// How the drawing is animated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// A chain of rotating circles (a Fourier series per pass) whose tip draws the strokes.
    Epicycles,
    /// A pen drawing the strokes at constant speed.
    Pen,
}

impl Style {
    /// Returns the lowercase name used by [`FromStr`] and serde.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Epicycles => "epicycles",
            Style::Pen => "pen",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Style {
    type Err = AnimationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input {
            "epicycles" => Ok(Style::Epicycles),
            "pen" => Ok(Style::Pen),
            _ => Err(AnimationError::UnknownStyle { input: input.to_owned() }),
        }
    }
}

/// What to render: style, frame size, duration and colours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnimationSpec {
    /// How the drawing is animated.
    pub style: Style,
    /// Frame width in pixels: even, within [`MIN_SIDE_PX`]..=[`MAX_SIDE_PX`].
    pub width: u32,
    /// Frame height in pixels: even, within [`MIN_SIDE_PX`]..=[`MAX_SIDE_PX`].
    pub height: u32,
    /// Length of the video in milliseconds, hold included: within
    /// [`MIN_DURATION_MS`]..=[`MAX_DURATION_MS`].
    pub duration_ms: u32,
    /// Colour of the paper.
    pub background: Rgb,
    /// Colour of the ink, and of the circles at low opacity.
    pub sketch: Rgb,
}

impl AnimationSpec {
    /// Checks the frame size and the duration against their limits.
    ///
    /// # Errors
    ///
    /// Returns [`AnimationError::OddSide`], [`AnimationError::SideOutOfRange`] or
    /// [`AnimationError::DurationOutOfRange`] for the first value outside its limits.
    pub fn validate(&self) -> Result<(), AnimationError> {
        for (side, value_px) in [("width", self.width), ("height", self.height)] {
            if !(MIN_SIDE_PX..=MAX_SIDE_PX).contains(&value_px) {
                return Err(AnimationError::SideOutOfRange { side, value_px });
            }
            if !value_px.is_multiple_of(2) {
                return Err(AnimationError::OddSide { side, value_px });
            }
        }
        if !(MIN_DURATION_MS..=MAX_DURATION_MS).contains(&self.duration_ms) {
            return Err(AnimationError::DurationOutOfRange { duration_ms: self.duration_ms });
        }
        Ok(())
    }

    /// Returns the number of frames: `duration_ms` at [`FPS`], rounded to the nearest frame.
    #[must_use]
    pub fn frame_count(&self) -> u32 {
        frame_count_for(self.duration_ms)
    }

    /// Returns the ink line width in pixels: 2.5 px at a 1080-pixel short side, scaled with it, and at
    /// least 1.2 px.
    #[must_use]
    pub fn line_width_px(&self) -> f32 {
        let short_side_px = self.width.min(self.height) as f32;
        (LINE_WIDTH_AT_1080_PX * short_side_px / 1_080.0).max(MIN_LINE_WIDTH_PX)
    }
}

/// Returns the number of frames of a video `duration_ms` long at [`FPS`], rounded to the nearest frame.
#[must_use]
pub fn frame_count_for(duration_ms: u32) -> u32 {
    let frames = (u64::from(duration_ms) * u64::from(FPS) + 500) / 1_000;
    // A u32 of milliseconds at 30 fps is at most about 1.3e8 frames, which fits in u32.
    frames as u32
}
