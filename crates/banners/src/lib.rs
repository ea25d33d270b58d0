//! Banner rendering for the banners studio: a checked request in, a PNG or SVG out.
//!
//! The crate does no I/O and stores nothing. The caller passes the request body and, when the
//! visitor names a portrait order, its decoded stroke set. Text is set in DejaVu Sans (compiled in,
//! see `fonts/README.md`); `ttf-parser` supplies the glyph outlines, `tiny-skia` rasterises them with
//! anti-aliasing, and the `png` crate encodes the pixels. The SVG export prints the same outlines as
//! paths, so it looks the same without the font installed.
//!
//! Layout:
//! - [`request`]: the JSON fields, their limits, presets and layouts.
//! - [`font`]: the embedded faces, glyph coverage, widths and outlines.
//! - [`layout`]: regions per layout, text fitting (shrink, then wrap) and the portrait strokes.
//! - [`render`]: the scene as PNG or SVG.
//! - [`error`]: every reason a request fails.
#![forbid(unsafe_code)]

pub mod error;
pub mod font;
pub mod layout;
pub mod render;
pub mod request;

pub use error::BannerError;
pub use layout::{Scene, build_scene};
pub use render::{PREVIEW_MAX_SIDE_PX, preview_scale, render_png, render_svg};
pub use request::{BannerSpec, Format, Layout, SizePreset, parse_request};

/// Returns the download file name of an export, such as `banner-728x90.png`.
pub fn export_file_name(spec: &BannerSpec) -> String {
    format!("banner-{}x{}.{}", spec.width_px, spec.height_px, spec.format.extension())
}
