//! Text to ordered pen strokes, written the way a pen plotter writes: one single-line glyph after
//! another, in reading order.
//!
//! [`text_to_strokes`] turns up to [`MAX_TEXT_CHARS`] characters on up to [`MAX_LINES`] lines into a
//! [`StrokeSet`] on a canvas of the video's size, the same serialised form the photo pipeline makes,
//! so the render workers draw it unchanged. The glyphs come from the Hershey Roman Simplex font
//! (printable ASCII and `°`). Accented Latin letters, `ß`, `¡` and `¿` are composed from its glyphs
//! and diacritic strokes. Typographic quotes, dashes and spaces become their ASCII forms.
//! Anything else is rejected with every such character named ([`TextError::Unsupported`]).
//!
//! The layout keeps the line breaks of the text, wraps a line at spaces when that lets the text be
//! drawn larger, centres each line, and scales the ink to fit inside a margin of
//! [`MARGIN_FRACTION`] of the frame's short side, so nothing leaves the frame.
//!
//! The crate does no I/O and builds for `wasm32-wasip2` as well as the host.
//!
//! # Layout
//!
//! - [`font`]: glyph lookup and font units; `glyphs` is the table generated from
//!   `font/rowmans.jhf` (see `font/README.md` for its origin and licence), and `jhf` (tests only)
//!   reads that file and regenerates the table.
//! - `compose`: accented and other letters built from the font's glyphs.
//! - [`layout`]: wrapping, centring and fitting into the frame.
//! - [`error`]: the reasons a text is rejected.
#![forbid(unsafe_code)]

mod compose;
pub mod error;
pub mod font;
mod glyphs;
#[cfg(test)]
mod jhf;
pub mod layout;

pub use error::{TextError, describe_char, describe_chars};
pub use layout::{Layout, PlacedGlyph, Transform, unsupported_chars};
pub use strokes::StrokeSet;

/// Maximum number of characters in a text, line breaks included.
pub const MAX_TEXT_CHARS: usize = 200;

/// Maximum number of lines in a text, as typed (wrapping may add more).
pub const MAX_LINES: usize = 12;

/// Margin around the text, as a fraction of the frame's short side.
pub const MARGIN_FRACTION: f32 = 0.08;

/// Smallest frame side that [`text_to_strokes`] lays text out on, in pixels.
pub const MIN_FRAME_SIDE_PX: u32 = 16;

/// Lays out `text` on a `width` × `height` canvas and returns the strokes with the placement of
/// every character.
pub fn text_to_layout(text: &str, width: u32, height: u32) -> Result<Layout, TextError> {
    layout::layout_text(text, width, height)
}

/// Turns `text` into strokes in reading order on a `width` × `height` canvas.
pub fn text_to_strokes(text: &str, width: u32, height: u32) -> Result<StrokeSet, TextError> {
    Ok(text_to_layout(text, width, height)?.strokes)
}

/// Returns every character the composition adds to the font: accented letters, `ß`, `¡`, `¿`, `ı`.
pub fn composed_chars() -> impl Iterator<Item = char> {
    compose::composed_chars()
}
