//! Placing glyphs: line breaks, wrapping, centring and scaling into the frame.

use std::ops::Range;

use strokes::{Pass, Point, Stroke, StrokeSet};

use crate::error::TextError;
use crate::font::{self, Glyph};
use crate::{MARGIN_FRACTION, MAX_LINES, MAX_TEXT_CHARS, MIN_FRAME_SIDE_PX, compose};

/// Distance between the baselines of two lines, in font units: the 21-unit capitals, the 7-unit
/// descenders and room for the marks above accented capitals.
pub const LINE_PITCH: f32 = 34.0;

/// Number of lines that fit the frame's inner height at the largest scale, so that a single short word
/// does not fill the whole frame.
const MIN_LINES_PER_FRAME: f32 = 2.2;

/// Wrap widths tried between the widest word and the longest line.
const WRAP_CANDIDATES: usize = 48;

/// Smallest gain in scale that justifies wrapping lines the visitor did not break: below it, the
/// line breaks stay as typed.
const MIN_WRAP_GAIN: f32 = 1.25;

/// A character placed in the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedGlyph {
    /// The character as typed. A substituted character (a curly quote, say) gives one placed
    /// glyph per character of its stand-in, each with the typed character.
    pub ch: char,
    /// The glyph drawn for it, in font units.
    pub glyph: Glyph,
    /// Visual line (after wrapping), from the top.
    pub line: usize,
    /// Position of the glyph's font-unit origin, in layout units (font units before the transform).
    pub origin: (f32, f32),
    /// The indices of its strokes in [`Layout::strokes`].
    pub strokes: Range<usize>,
}

/// The uniform scale and offset from layout units to canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Canvas pixels per font unit.
    pub scale: f32,
    /// Horizontal offset in pixels.
    pub offset_x: f32,
    /// Vertical offset in pixels.
    pub offset_y: f32,
}

impl Transform {
    /// Maps a point in layout units to canvas pixels.
    pub fn apply(&self, x: f32, y: f32) -> Point {
        Point::new(self.offset_x + x * self.scale, self.offset_y + y * self.scale)
    }
}

/// Text laid out in a frame: the strokes and where each character went.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The strokes, in reading order, on a canvas of the frame's size.
    pub strokes: StrokeSet,
    /// Every character that has ink or advances the pen, in reading order.
    pub glyphs: Vec<PlacedGlyph>,
    /// The transform from layout units to canvas pixels.
    pub transform: Transform,
    /// Lines after wrapping.
    pub line_count: usize,
}

/// A glyph with the character it stands for.
#[derive(Debug, Clone)]
struct Token {
    ch: char,
    glyph: Glyph,
    is_space: bool,
}

/// A run of non-space tokens and the spaces before it.
#[derive(Debug, Clone)]
struct Word {
    spaces: Vec<Token>,
    letters: Vec<Token>,
}

impl Word {
    fn spaces_width(&self) -> f32 {
        self.spaces.iter().map(|token| token.glyph.advance()).sum()
    }

    fn letters_width(&self) -> f32 {
        self.letters.iter().map(|token| token.glyph.advance()).sum()
    }
}

/// Lays out `text` on a `width` × `height` canvas. See [`crate::text_to_layout`].
pub fn layout_text(text: &str, width: u32, height: u32) -> Result<Layout, TextError> {
    if width < MIN_FRAME_SIDE_PX || height < MIN_FRAME_SIDE_PX {
        return Err(TextError::FrameTooSmall { width, height });
    }

    // Limits, on the text with its line endings unified and decomposed letters precomposed.
    let text = compose::precompose(&text.replace("\r\n", "\n").replace('\r', "\n"));
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(TextError::TooLong { chars });
    }
    let lines = text.split('\n').count();
    if lines > MAX_LINES {
        return Err(TextError::TooManyLines { lines });
    }

    // Characters to glyphs, collecting every character the font cannot draw.
    let paragraphs = resolve_glyphs(&text)?;
    let has_ink = paragraphs.iter().flatten().any(|token| !token.glyph.strokes.is_empty());
    if !has_ink {
        return Err(TextError::Empty);
    }
    let paragraphs: Vec<Vec<Word>> = paragraphs.into_iter().map(split_words).collect();

    // Wrap at the width that lets the text be drawn largest.
    let (inner_width, inner_height) = inner_size(width, height);
    let visual_lines = choose_wrap(&paragraphs, inner_width, inner_height);

    // Place the glyphs, each line centred on x = 0, then fit the ink into the frame.
    let (placed, raw_strokes) = place_lines(&visual_lines);
    let transform = fit_ink(&raw_strokes, width, height);
    let max_x = width as f32;
    let max_y = height as f32;
    let strokes = raw_strokes
        .iter()
        .map(|stroke| {
            let points = stroke
                .iter()
                .map(|(x, y)| {
                    let point = transform.apply(*x, *y);
                    Point::new(point.x.clamp(0.0, max_x), point.y.clamp(0.0, max_y))
                })
                .collect();
            Stroke { pass: Pass::Contour, points }
        })
        .collect();

    Ok(Layout {
        strokes: StrokeSet { width, height, strokes },
        glyphs: placed,
        transform,
        line_count: visual_lines.len(),
    })
}

/// Returns the characters of `text` that the font cannot draw, deduplicated, in order of first
/// appearance. Line breaks are drawable.
pub fn unsupported_chars(text: &str) -> Vec<char> {
    let mut unsupported = Vec::new();
    for ch in compose::precompose(text).chars() {
        if ch == '\n' || ch == '\r' || unsupported.contains(&ch) {
            continue;
        }
        let drawable = match compose::substitute(ch) {
            Some(stand_in) => stand_in.chars().all(|part| font::glyph(part).is_some()),
            None => font::glyph(ch).is_some(),
        };
        if !drawable {
            unsupported.push(ch);
        }
    }
    unsupported
}

/// Turns each line of `text` into glyph tokens.
fn resolve_glyphs(text: &str) -> Result<Vec<Vec<Token>>, TextError> {
    let unsupported = unsupported_chars(text);
    if !unsupported.is_empty() {
        return Err(TextError::Unsupported { chars: unsupported });
    }
    let paragraphs = text
        .split('\n')
        .map(|line| {
            let mut tokens = Vec::new();
            for ch in line.chars() {
                let parts: Vec<char> = match compose::substitute(ch) {
                    Some(stand_in) => stand_in.chars().collect(),
                    None => vec![ch],
                };
                for part in parts {
                    // Every part was checked by `unsupported_chars` above.
                    if let Some(glyph) = font::glyph(part) {
                        tokens.push(Token { ch, glyph, is_space: part == ' ' });
                    }
                }
            }
            tokens
        })
        .collect();
    Ok(paragraphs)
}

/// Splits a line into words, dropping spaces at its start and end.
fn split_words(tokens: Vec<Token>) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current = Word { spaces: Vec::new(), letters: Vec::new() };
    for token in tokens {
        if token.is_space {
            if !current.letters.is_empty() {
                words.push(current);
                current = Word { spaces: Vec::new(), letters: Vec::new() };
            }
            current.spaces.push(token);
        } else {
            current.letters.push(token);
        }
    }
    if !current.letters.is_empty() {
        words.push(current);
    }
    if let Some(first) = words.first_mut() {
        first.spaces.clear();
    }
    words
}

/// Width and height of the area inside the margins, in pixels.
fn inner_size(width: u32, height: u32) -> (f32, f32) {
    let margin_px = MARGIN_FRACTION * width.min(height) as f32;
    (width as f32 - 2.0 * margin_px, height as f32 - 2.0 * margin_px)
}

/// Tries wrap widths from the widest word to the longest line and keeps the one that allows the
/// largest scale (up to the scale cap), preferring fewer lines on a tie. Lines are only wrapped when
/// that makes the text at least [`MIN_WRAP_GAIN`] times larger.
fn choose_wrap(paragraphs: &[Vec<Word>], inner_width: f32, inner_height: f32) -> Vec<Vec<Token>> {
    let widest_word = paragraphs.iter().flatten().map(Word::letters_width).fold(0.0, f32::max);
    let longest_line = paragraphs
        .iter()
        .map(|words| words.iter().map(|word| word.spaces_width() + word.letters_width()).sum::<f32>())
        .fold(0.0, f32::max);

    let largest_scale = inner_height / (MIN_LINES_PER_FRAME * LINE_PITCH);
    let mut unwrapped_scale = 0.0;
    let mut best: Option<(f32, Vec<Vec<Token>>)> = None;
    for step in (0..=WRAP_CANDIDATES).rev() {
        let limit = widest_word + (longest_line - widest_word) * step as f32 / WRAP_CANDIDATES as f32;
        let lines: Vec<Vec<Token>> = paragraphs.iter().flat_map(|words| wrap(words, limit)).collect();
        let block_width = lines.iter().map(|line| line_width(line)).fold(0.0, f32::max);
        let block_height = lines.len() as f32 * LINE_PITCH;
        let scale = (inner_width / block_width.max(1.0)).min(inner_height / block_height).min(largest_scale);
        if step == WRAP_CANDIDATES {
            unwrapped_scale = scale;
        }
        if best.as_ref().is_none_or(|(best_scale, _)| scale > *best_scale * 1.0001) {
            best = Some((scale, lines));
        }
    }
    match best {
        Some((scale, lines)) if scale >= unwrapped_scale * MIN_WRAP_GAIN => lines,
        _ => paragraphs.iter().flat_map(|words| wrap(words, f32::INFINITY)).collect(),
    }
}

/// Greedy wrapping of one line's words at `limit` font units. A word wider than the limit gets a
/// line of its own. An empty line stays one empty line.
fn wrap(words: &[Word], limit: f32) -> Vec<Vec<Token>> {
    let mut lines: Vec<Vec<Token>> = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    for word in words {
        let width_with_word = line_width(&current) + word.spaces_width() + word.letters_width();
        if !current.is_empty() && width_with_word > limit + 1e-3 {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.extend(word.spaces.iter().cloned());
        }
        current.extend(word.letters.iter().cloned());
    }
    lines.push(current);
    lines
}

fn line_width(tokens: &[Token]) -> f32 {
    tokens.iter().map(|token| token.glyph.advance()).sum()
}

/// Places each line centred on x = 0 with its baseline at `index × LINE_PITCH`, and returns the
/// placed glyphs with all strokes in layout units.
fn place_lines(lines: &[Vec<Token>]) -> (Vec<PlacedGlyph>, Vec<Vec<(f32, f32)>>) {
    let mut placed = Vec::new();
    let mut strokes: Vec<Vec<(f32, f32)>> = Vec::new();
    for (line_index, line) in lines.iter().enumerate() {
        let baseline = line_index as f32 * LINE_PITCH;
        let mut pen_x = -line_width(line) / 2.0;
        for token in line {
            let origin = (pen_x - token.glyph.left, baseline - font::BASELINE);
            let first = strokes.len();
            // NOTE: inside a glyph, the strokes keep the order and direction of the Hershey data,
            // which mostly, but not for every glyph, matches how a person writes the letter.
            for stroke in &token.glyph.strokes {
                strokes.push(stroke.iter().map(|(x, y)| (origin.0 + x, origin.1 + y)).collect());
            }
            placed.push(PlacedGlyph {
                ch: token.ch,
                glyph: token.glyph.clone(),
                line: line_index,
                origin,
                strokes: first..strokes.len(),
            });
            pen_x += token.glyph.advance();
        }
    }
    (placed, strokes)
}

/// Scales the ink's bounding box to fit inside the margins (no larger than [`MIN_LINES_PER_FRAME`]
/// allows) and centres it in the frame.
///
/// NOTE: there is no minimum letter size. 200 characters without spaces in a 240-pixel frame
/// still fit, but their capitals are then only about 6 pixels tall.
fn fit_ink(strokes: &[Vec<(f32, f32)>], width: u32, height: u32) -> Transform {
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for (x, y) in strokes.iter().flatten() {
        min_x = min_x.min(*x);
        min_y = min_y.min(*y);
        max_x = max_x.max(*x);
        max_y = max_y.max(*y);
    }
    let (inner_width, inner_height) = inner_size(width, height);
    let largest_scale = inner_height / (MIN_LINES_PER_FRAME * LINE_PITCH);
    let scale = (inner_width / (max_x - min_x).max(1e-3))
        .min(inner_height / (max_y - min_y).max(1e-3))
        .min(largest_scale);
    Transform {
        scale,
        offset_x: width as f32 / 2.0 - (min_x + max_x) / 2.0 * scale,
        offset_y: height as f32 / 2.0 - (min_y + max_y) / 2.0 * scale,
    }
}
