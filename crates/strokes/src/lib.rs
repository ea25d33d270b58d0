//! Photo to ordered pen strokes: the "point cloud" that the animation draws.
//!
//! [`photo_to_strokes`] takes the bytes of an uploaded photo and returns a [`StrokeSet`]: polylines in
//! working-image pixels, grouped into passes (contours, then features, then detail) and ordered inside
//! each pass for short pen-up travel. The set serialises compactly with a format version
//! ([`StrokeSet::to_bytes`]) to cross from the edge components to the render workers, and renders as
//! SVG ([`svg::to_svg`]) for an instant preview.
//!
//! The crate does no I/O, starts no threads and has no `unsafe`, so it builds for `wasm32-wasip2` as
//! well as the host. It does not animate or rasterise strokes (that is the `animation` crate) and does not
//! read files or HTTP requests (the callers do).
//!
//! Decoding is done by `image` (with zune-jpeg, png, gif and image-webp underneath), blurring by
//! `imageproc`, the serialised form by `serde` and `bincode`. Format detection, limits, contrast
//! stretching, thinning, tracing and ordering are written here, because no maintained crate does them
//! for this use.
//!
//! # Layout
//!
//! The pipeline runs in module order:
//!
//! - [`decode`]: limits on bytes, pixels and memory, decoding, EXIF orientation. It uses `format`
//!   (format detection from magic bytes, structural checks for truncation) and [`reduce`] (grayscale
//!   at working size).
//! - `lines`: contrast stretch, difference of Gaussians with adaptive hysteresis thresholds, thinning
//!   to a one-pixel skeleton.
//! - `trace`: skeleton to polylines, merging near ends, dropping specks, simplifying, resampling.
//! - `order`: passes, the point budget, and the pen path inside each pass.
//! - [`svg`]: SVG output.
//! - [`model`]: the stroke set and its serialised form.
//! - [`error`]: the reasons a photo is rejected.
#![forbid(unsafe_code)]

pub mod decode;
pub mod error;
mod format;
mod lines;
pub mod model;
mod order;
pub mod reduce;
pub mod svg;
mod trace;

pub use decode::decode_photo;
pub use error::PhotoError;
pub use model::{ColourError, FORMAT_VERSION, FormatError, Pass, Point, Rgb, Stroke, StrokeSet};
pub use svg::to_svg;

/// Default maximum number of points in a stroke set. Detail strokes are dropped first to meet it.
///
/// At 2 px spacing this is 80,000 px of line, a dense drawing at 1024 px. It keeps the serialised
/// form near 320 KB and bounds the animation's work per frame.
pub const DEFAULT_MAX_POINTS: usize = 40_000;

/// Settings for [`photo_to_strokes_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StrokeOptions {
    /// Maximum number of points in the result. Strokes are dropped (detail first, shortest first) to
    /// meet it, and a budget too small for any stroke gives [`PhotoError::NoLinesFound`].
    pub max_points: usize,
}

impl Default for StrokeOptions {
    fn default() -> Self {
        Self { max_points: DEFAULT_MAX_POINTS }
    }
}

impl StrokeOptions {
    /// Sets the point budget.
    #[must_use]
    pub fn with_max_points(mut self, max_points: usize) -> Self {
        self.max_points = max_points;
        self
    }
}

/// Turns photo bytes (JPEG, PNG, GIF or WebP) into ordered strokes with the default options.
pub fn photo_to_strokes(bytes: &[u8]) -> Result<StrokeSet, PhotoError> {
    photo_to_strokes_with(bytes, &StrokeOptions::default())
}

/// Turns photo bytes (JPEG, PNG, GIF or WebP) into ordered strokes.
pub fn photo_to_strokes_with(bytes: &[u8], options: &StrokeOptions) -> Result<StrokeSet, PhotoError> {
    let gray = decode::decode_photo(bytes)?;
    image_to_strokes(&gray, options)
}

/// Turns a working-size grayscale image, such as one from [`decode_photo`], into ordered strokes.
///
/// Any size works, but thresholds and spacing are tuned for a long side of 512 to 1024 pixels.
pub fn image_to_strokes(gray: &image::GrayImage, options: &StrokeOptions) -> Result<StrokeSet, PhotoError> {
    let (width, height) = gray.dimensions();

    // Find line pixels and trace them into polylines.
    let skeleton = lines::extract_skeleton(gray);
    let polylines = trace::trace_polylines(&skeleton);
    if polylines.is_empty() {
        return Err(PhotoError::NoLinesFound);
    }

    // Sort into passes, keep within the point budget, then order.
    let mut strokes = order::classify(polylines, width, height);
    order::enforce_point_budget(&mut strokes, options.max_points);
    if strokes.is_empty() {
        return Err(PhotoError::NoLinesFound);
    }
    let strokes = order::order_strokes(strokes, width);

    Ok(StrokeSet { width, height, strokes })
}
