//! Ordered pen strokes to animation frames: the drawing of a [`StrokeSet`] as a sequence of RGB frames.
//!
//! An [`Animation`] is built once from a stroke set and an [`AnimationSpec`] (style, frame size,
//! duration, colours). Its [`FrameRenderer`] then produces the frames one after another at [`FPS`]
//! frames per second. The total pen-down length is spread evenly over the drawing frames, and the last
//! [`HOLD_FRAMES`] frames hold the finished drawing. Two styles exist:
//!
//! - [`Style::Epicycles`]: each pass (contours, features, detail) is one closed path. Its discrete
//!   Fourier series is shown as a chain of rotating circles that ends at the pen tip.
//! - [`Style::Pen`]: a pen tip moving at constant speed.
//!
//! In both styles the ink is exactly the strokes' polylines. Pen-up travel between strokes is never
//! inked, so separate shapes are never joined by a line.
//!
//! What this crate does not do: read or write files, decode photos, extract strokes (the `strokes`
//! crate does), or encode video. It provides the conversion of frames to the YUV 4:2:0 planes that an
//! H.264 encoder takes ([`yuv`]), and compiles for `wasm32-wasip2` as well as the host.
//!
//! Layout:
//! - [`spec`]: the request ([`AnimationSpec`], [`Style`]), its limits and frame timing;
//! - [`fit`]: placement of the stroke coordinate space inside the frame;
//! - [`fourier`]: the discrete Fourier series behind the epicycles;
//! - `ink`, `timeline`, `epicycles` and `render` (private): stroke geometry, pen-down length per frame,
//!   sampled pass paths, and rasterising;
//! - [`yuv`]: RGB to BT.601 limited-range YUV 4:2:0.
//!
//! The work is carried by `tiny-skia` (anti-aliased rasterising with round caps and joins) and
//! `rustfft` (the Fourier coefficients).
#![forbid(unsafe_code)]

mod epicycles;
mod error;
pub mod fit;
pub mod fourier;
mod ink;
mod render;
pub mod spec;
mod timeline;
pub mod yuv;

pub use epicycles::PassPath;
pub use error::AnimationError;
pub use fit::Fit;
pub use render::{Frame, FrameRenderer};
pub use spec::{
    AnimationSpec, FPS, HOLD_FRAMES, HOLD_MS, MAX_DURATION_MS, MAX_SIDE_PX, MAX_STROKE_POINTS,
    MIN_DURATION_MS, MIN_SIDE_PX, Style,
};
pub use strokes::{Pass, Point, Rgb, Stroke, StrokeSet};

use ink::InkPath;
use timeline::Timeline;

/// A stroke set prepared for rendering at one frame size, duration and style.
///
/// Building it does all the per-animation work (placement, path lengths and, for the epicycle style,
/// the Fourier series), so that rendering a frame only rasterises.
#[derive(Debug, Clone)]
pub struct Animation {
    spec: AnimationSpec,
    fit: Fit,
    ink: InkPath,
    timeline: Timeline,
    /// One sampled closed path per run of consecutive strokes of one pass; empty for the pen style.
    pass_paths: Vec<PassPath>,
}

impl Animation {
    /// Checks the spec and the stroke set, places the strokes in the frame and, for the epicycle
    /// style, computes one Fourier series per pass.
    ///
    /// # Errors
    ///
    /// Returns an [`AnimationError`] when the spec is outside its limits (see
    /// [`AnimationSpec::validate`]), when the stroke set is invalid or has more than
    /// [`MAX_STROKE_POINTS`] points, or when it has no pen-down length to draw.
    pub fn new(strokes: &StrokeSet, spec: &AnimationSpec) -> Result<Self, AnimationError> {
        spec.validate()?;
        strokes.validate()?;
        let point_count = strokes.point_count();
        if point_count > MAX_STROKE_POINTS {
            return Err(AnimationError::TooManyPoints { points: point_count });
        }

        let fit = Fit::new(strokes.width, strokes.height, spec.width, spec.height);
        let ink = InkPath::new(strokes, &fit);
        if ink.total_length_px() <= 0.0 {
            return Err(AnimationError::NothingToDraw);
        }

        let timeline = Timeline::new(spec.frame_count(), ink.total_length_px());
        let pass_paths = match spec.style {
            Style::Epicycles => epicycles::build_pass_paths(&ink),
            Style::Pen => Vec::new(),
        };
        Ok(Self { spec: spec.clone(), fit, ink, timeline, pass_paths })
    }

    /// Returns the spec the animation was built for.
    #[must_use]
    pub fn spec(&self) -> &AnimationSpec {
        &self.spec
    }

    /// Returns the placement of the stroke coordinate space inside the frame.
    #[must_use]
    pub fn fit(&self) -> Fit {
        self.fit
    }

    /// Returns the number of frames: the duration at [`FPS`], rounded to the nearest frame.
    #[must_use]
    pub fn frame_count(&self) -> u32 {
        self.timeline.frame_count()
    }

    /// Returns the number of frames in which the drawing progresses; the remaining [`HOLD_FRAMES`]
    /// frames show the finished drawing.
    #[must_use]
    pub fn drawing_frame_count(&self) -> u32 {
        self.timeline.drawing_frames()
    }

    /// Returns the width of the ink lines in frame pixels.
    #[must_use]
    pub fn line_width_px(&self) -> f32 {
        self.spec.line_width_px()
    }

    /// Returns the summed pen-down length of all strokes in frame pixels.
    #[must_use]
    pub fn total_length_px(&self) -> f64 {
        self.ink.total_length_px()
    }

    /// Returns the pen-down length drawn by the given frame (0-based) in frame pixels.
    #[must_use]
    pub fn drawn_length_px(&self, frame_index: u32) -> f64 {
        self.timeline.ink_length_at(frame_index)
    }

    /// Returns the sampled closed paths and their Fourier series behind the epicycles, one per run
    /// of consecutive strokes of one pass, in drawing order. Empty for [`Style::Pen`].
    #[must_use]
    pub fn pass_paths(&self) -> &[PassPath] {
        &self.pass_paths
    }

    /// Starts rendering the frames from the first one.
    #[must_use]
    pub fn renderer(&self) -> FrameRenderer<'_> {
        FrameRenderer::new(self)
    }

    /// Renders the finished drawing, identical to the hold frames at the end (for a poster image).
    #[must_use]
    pub fn render_final(&self) -> Frame {
        render::render_final(self)
    }
}
