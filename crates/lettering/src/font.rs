//! Glyphs in font units: the Hershey table for ASCII and `°`, plus the composed letters.
//!
//! Font units follow the Hershey convention: x grows to the right, y grows downwards, the baseline
//! is at y = 9, capitals reach y = -12, lowercase letters y = -5 and descenders y = 16.

use crate::compose;
use crate::glyphs::ROMAN_SIMPLEX;

/// Baseline of every glyph, in font units.
pub const BASELINE: f32 = 9.0;
/// Top of the capital letters, in font units.
pub const CAP_TOP: f32 = -12.0;
/// Top of the lowercase letters without ascenders (the x-height), in font units.
pub const X_HEIGHT_TOP: f32 = -5.0;

/// One glyph of the generated table: horizontal bounds and pen-down polylines in font units.
#[derive(Debug)]
pub struct FontGlyph {
    /// Left edge of the glyph's advance box.
    pub left: i8,
    /// Right edge of the glyph's advance box.
    pub right: i8,
    /// Polylines in the order the font draws them.
    pub strokes: &'static [&'static [(i8, i8)]],
}

/// A glyph ready to place: advance box and polylines in font units, as floats because composed
/// letters add diacritics at fractional positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    /// Left edge of the advance box.
    pub left: f32,
    /// Right edge of the advance box.
    pub right: f32,
    /// Polylines in drawing order, each of at least two points.
    pub strokes: Vec<Vec<(f32, f32)>>,
}

impl Glyph {
    /// Returns the horizontal distance to the next glyph's origin.
    pub fn advance(&self) -> f32 {
        self.right - self.left
    }

    /// Returns the bounding box of the ink as `(min_x, min_y, max_x, max_y)`, or `None` for a glyph
    /// without strokes (the space).
    pub fn ink_bounds(&self) -> Option<(f32, f32, f32, f32)> {
        let mut points = self.strokes.iter().flatten();
        let first = points.next()?;
        let start = (first.0, first.1, first.0, first.1);
        Some(points.fold(start, |(x0, y0, x1, y1), (x, y)| (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y))))
    }
}

impl From<&FontGlyph> for Glyph {
    fn from(glyph: &FontGlyph) -> Self {
        let strokes = glyph
            .strokes
            .iter()
            .map(|stroke| stroke.iter().map(|(x, y)| (f32::from(*x), f32::from(*y))).collect())
            .collect();
        Glyph { left: f32::from(glyph.left), right: f32::from(glyph.right), strokes }
    }
}

/// Returns the font's own glyph for `ch`: printable ASCII and `°`.
pub fn font_glyph(ch: char) -> Option<&'static FontGlyph> {
    let index = match ch {
        ' '..='~' => u32::from(ch) - u32::from(' '),
        '°' => 95,
        _ => return None,
    };
    ROMAN_SIMPLEX.get(index as usize)
}

/// Returns the glyph for `ch`, from the font or composed from its glyphs, or `None` when the
/// character cannot be drawn. Typographic variants such as curly quotes are not handled here; see
/// [`compose::substitute`].
pub fn glyph(ch: char) -> Option<Glyph> {
    match font_glyph(ch) {
        Some(glyph) => Some(Glyph::from(glyph)),
        None => compose::composed_glyph(ch),
    }
}
