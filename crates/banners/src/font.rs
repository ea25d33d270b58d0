//! The embedded DejaVu Sans faces: glyph lookup, advance widths and outlines as paths.
//!
//! `ttf-parser` reads the TrueType tables. Each glyph outline becomes a `tiny_skia::Path`, which the
//! PNG renderer fills and the SVG writer prints, so both outputs draw the same shapes.
//!
//! NOTE: glyphs are placed by their advance widths only: no kerning, ligatures or complex-script
//! shaping, so pairs such as "AV" sit slightly wider than in a typesetting program.

use std::sync::OnceLock;

use tiny_skia::{Path, PathBuilder};
use ttf_parser::{Face, GlyphId, OutlineBuilder};

use crate::error::BannerError;

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A parsed face with the metrics the layout needs.
pub struct Font {
    face: Face<'static>,
    units_per_em: f32,
}

/// Returns DejaVu Sans.
pub fn regular() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::parse(REGULAR_TTF))
}

/// Returns DejaVu Sans Bold.
pub fn bold() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::parse(BOLD_TTF))
}

impl Font {
    fn parse(data: &'static [u8]) -> Self {
        // The files are compiled in and covered by tests, so a parse failure is a build defect.
        let face = Face::parse(data, 0).expect("the embedded DejaVu font parses");
        let units_per_em = f32::from(face.units_per_em());
        Self { face, units_per_em }
    }

    /// Returns the distance from the baseline up to the top of the line box, in pixels at `size_px`.
    pub fn ascent_px(&self, size_px: f32) -> f32 {
        f32::from(self.face.ascender()) / self.units_per_em * size_px
    }

    /// Returns the height of one line (ascent plus descent plus line gap), in pixels at `size_px`.
    pub fn line_height_px(&self, size_px: f32) -> f32 {
        let units = f32::from(self.face.ascender()) - f32::from(self.face.descender())
            + f32::from(self.face.line_gap());
        units / self.units_per_em * size_px
    }

    /// Returns the advance width of `text` in pixels at `size_px`. Characters without a glyph count
    /// as the font's missing-glyph box, but requests with them are rejected before layout.
    pub fn text_width_px(&self, text: &str, size_px: f32) -> f32 {
        let units: f32 = text.chars().map(|char| self.advance_units(self.glyph(char))).sum();
        units / self.units_per_em * size_px
    }

    /// Appends the outlines of `text`, with its baseline starting at (`x`, `baseline_y`), to `path`.
    pub fn append_outlines(&self, path: &mut PathBuilder, text: &str, size_px: f32, x: f32, baseline_y: f32) {
        let scale = size_px / self.units_per_em;
        let mut pen_x = x;
        for char in text.chars() {
            let glyph = self.glyph(char);
            let mut sink = PathSink { builder: path, origin_x: pen_x, origin_y: baseline_y, scale };
            // A glyph without an outline (a space) returns None, which needs nothing drawn.
            let _ = self.face.outline_glyph(glyph, &mut sink);
            pen_x += self.advance_units(glyph) * scale;
        }
    }

    /// Builds the outline path of one line of text, or `None` when it has no ink (only spaces).
    pub fn outline(&self, text: &str, size_px: f32, x: f32, baseline_y: f32) -> Option<Path> {
        let mut builder = PathBuilder::new();
        self.append_outlines(&mut builder, text, size_px, x, baseline_y);
        builder.finish()
    }

    fn glyph(&self, char: char) -> GlyphId {
        self.face.glyph_index(char).unwrap_or(GlyphId(0))
    }

    fn advance_units(&self, glyph: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0))
    }

    fn has_glyph(&self, char: char) -> bool {
        self.face.glyph_index(char).is_some()
    }
}

/// Rejects `text` when the font lacks a glyph for any of its characters, listing each one once.
pub fn check_glyphs(field: &'static str, text: &str, font: &Font) -> Result<(), BannerError> {
    let mut missing: Vec<char> = Vec::new();
    for char in text.chars() {
        if !font.has_glyph(char) && !missing.contains(&char) {
            missing.push(char);
        }
    }
    if missing.is_empty() { Ok(()) } else { Err(BannerError::MissingGlyphs { field, chars: missing }) }
}

/// Receives glyph outline segments in font units (y up) and adds them to a path in pixels (y down).
struct PathSink<'a> {
    builder: &'a mut PathBuilder,
    origin_x: f32,
    origin_y: f32,
    scale: f32,
}

impl PathSink<'_> {
    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        (self.origin_x + x * self.scale, self.origin_y - y * self.scale)
    }
}

impl OutlineBuilder for PathSink<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.builder.move_to(x, y);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.map(x, y);
        self.builder.line_to(x, y);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (x1, y1) = self.map(x1, y1);
        let (x, y) = self.map(x, y);
        self.builder.quad_to(x1, y1, x, y);
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (x1, y1) = self.map(x1, y1);
        let (x2, y2) = self.map(x2, y2);
        let (x, y) = self.map(x, y);
        self.builder.cubic_to(x1, y1, x2, y2, x, y);
    }

    fn close(&mut self) {
        self.builder.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_scales_with_size() {
        let font = regular();
        let small = font.text_width_px("Banner", 10.0);
        let large = font.text_width_px("Banner", 20.0);
        assert!(small > 0.0);
        assert!((large - 2.0 * small).abs() < 0.01, "{small} {large}");
        assert!(bold().text_width_px("Banner", 10.0) > small, "bold is wider");
    }

    #[test]
    fn outline_lies_on_the_line() {
        let font = regular();
        let path = font.outline("Hg", 40.0, 10.0, 100.0).unwrap();
        let bounds = path.bounds();
        assert!(bounds.left() >= 10.0, "{bounds:?}");
        assert!(bounds.right() <= 10.0 + font.text_width_px("Hg", 40.0) + 1.0, "{bounds:?}");
        assert!(bounds.top() >= 100.0 - font.ascent_px(40.0), "{bounds:?}");
        assert!(bounds.bottom() > 100.0, "the g descends below the baseline: {bounds:?}");
        assert!(font.outline("   ", 40.0, 0.0, 50.0).is_none());
    }
}
