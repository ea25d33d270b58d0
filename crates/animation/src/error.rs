//! Errors of building an animation.

use strokes::FormatError;

use crate::spec::{MAX_DURATION_MS, MAX_SIDE_PX, MAX_STROKE_POINTS, MIN_DURATION_MS, MIN_SIDE_PX};

/// An error from building an animation or from parsing a style name.
#[derive(Debug, thiserror::Error)]
pub enum AnimationError {
    /// A frame side is odd; YUV 4:2:0 video needs even widths and heights.
    #[error("frame {side} is {value_px} px, which is odd; width and height must be even")]
    OddSide {
        /// `"width"` or `"height"`.
        side: &'static str,
        /// The rejected length in pixels.
        value_px: u32,
    },
    /// A frame side is shorter than [`MIN_SIDE_PX`] or longer than [`MAX_SIDE_PX`].
    #[error("frame {side} is {value_px} px; it must be between {MIN_SIDE_PX} and {MAX_SIDE_PX} px")]
    SideOutOfRange {
        /// `"width"` or `"height"`.
        side: &'static str,
        /// The rejected length in pixels.
        value_px: u32,
    },
    /// The duration is shorter than [`MIN_DURATION_MS`] or longer than [`MAX_DURATION_MS`].
    #[error("duration is {duration_ms} ms; it must be between {MIN_DURATION_MS} and {MAX_DURATION_MS} ms")]
    DurationOutOfRange {
        /// The rejected duration in milliseconds.
        duration_ms: u32,
    },
    /// A style name is neither `epicycles` nor `pen`.
    #[error("unknown animation style {input:?}; expected \"epicycles\" or \"pen\"")]
    UnknownStyle {
        /// The rejected name.
        input: String,
    },
    /// The stroke set breaks an invariant (no canvas, a stroke of one point, a point off the canvas).
    #[error(transparent)]
    InvalidStrokes(#[from] FormatError),
    /// The stroke set has more than [`MAX_STROKE_POINTS`] points.
    #[error("stroke set has {points} points; the limit is {MAX_STROKE_POINTS} points")]
    TooManyPoints {
        /// Number of points over all strokes.
        points: usize,
    },
    /// The stroke set has no strokes, or only strokes of zero length.
    #[error("stroke set has no pen-down length to draw; it needs at least one stroke longer than zero")]
    NothingToDraw,
}
