//! Placing the banner's parts: regions per layout, text fitted to its box, and the portrait strokes.
//!
//! The result is a [`Scene`]: filled rectangles, filled text outlines and stroked polylines in canvas
//! pixels. Every part is placed inside the canvas padding, so nothing is drawn outside the canvas.

use strokes::{Rgb, StrokeSet};
use tiny_skia::{Path, PathBuilder, Rect};

use crate::font::{self, Font};
use crate::request::{BannerSpec, Layout};

/// Smallest name size before long names wrap, in pixels.
pub const MIN_NAME_SIZE_PX: f32 = 10.0;
/// Smallest tagline and email size before they wrap, in pixels.
pub const MIN_DETAIL_SIZE_PX: f32 = 8.0;
/// Size below which text stops shrinking even if wrapped lines still do not fit. Requests within the
/// limits never reach it, because their smallest canvas fits 80 characters at a larger size.
const FLOOR_SIZE_PX: f32 = 2.0;
/// Each shrinking step multiplies the size by this factor.
const SHRINK_FACTOR: f32 = 0.94;
/// Opacity of the portrait behind the text in the centred layout.
const BACKDROP_OPACITY: f32 = 0.25;
/// Opacity of the tinted panel in the split layout.
const PANEL_OPACITY: f32 = 0.14;

/// A drawing instruction in canvas pixels.
#[derive(Debug, Clone)]
pub enum Item {
    /// A filled rectangle.
    Rect {
        /// The rectangle.
        rect: Rect,
        /// Fill colour.
        color: Rgb,
        /// Fill opacity from 0 to 1.
        opacity: f32,
    },
    /// Text outlines, filled with the non-zero winding rule.
    Text {
        /// The outlines of one text block.
        path: Path,
        /// Fill colour.
        color: Rgb,
    },
    /// Open polylines drawn with round caps and joins.
    Polylines {
        /// All polylines in one path.
        path: Path,
        /// Line width in pixels.
        width_px: f32,
        /// Line colour.
        color: Rgb,
        /// Line opacity from 0 to 1.
        opacity: f32,
    },
}

/// A banner ready to render.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Canvas width in pixels.
    pub width_px: u32,
    /// Canvas height in pixels.
    pub height_px: u32,
    /// Canvas fill.
    pub background: Rgb,
    /// Drawing instructions, back to front.
    pub items: Vec<Item>,
    /// Accessible title of the SVG: the name.
    pub title: String,
}

/// Text fitted to a box: the size and the lines it was broken into.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedText {
    /// Font size in pixels.
    pub size_px: f32,
    /// Lines, at least one.
    pub lines: Vec<String>,
}

/// Fits `text` into a `max_width`×`max_height` box at the largest size, from `max_size_px` down to
/// `min_size_px`, at which it fits on one line. When none fits, it wraps at `min_size_px`, and it
/// shrinks further only while the wrapped lines are taller than the box.
pub fn fit_text(
    font: &Font,
    text: &str,
    max_width: f32,
    max_height: f32,
    max_size_px: f32,
    min_size_px: f32,
) -> FittedText {
    let line_factor = font.line_height_px(1.0);
    let height_limited_size = max_height / line_factor;

    // Shrink on one line.
    let mut size_px = max_size_px.min(height_limited_size);
    while size_px >= min_size_px {
        if font.text_width_px(text, size_px) <= max_width {
            return FittedText { size_px, lines: vec![text.to_owned()] };
        }
        size_px *= SHRINK_FACTOR;
    }

    // Wrap at the minimum size, shrinking more only while the lines are taller than the box.
    let mut size_px = min_size_px.min(height_limited_size).max(FLOOR_SIZE_PX);
    loop {
        let lines = wrap(font, text, size_px, max_width);
        let fits = lines.len() as f32 * font.line_height_px(size_px) <= max_height;
        if fits || size_px * SHRINK_FACTOR < FLOOR_SIZE_PX {
            return FittedText { size_px, lines };
        }
        size_px *= SHRINK_FACTOR;
    }
}

/// Breaks `text` into lines no wider than `max_width` at `size_px`: between words where possible,
/// and inside a word that is wider than a line on its own.
pub fn wrap(font: &Font, text: &str, size_px: f32, max_width: f32) -> Vec<String> {
    let fits = |line: &str| font.text_width_px(line, size_px) <= max_width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_owned() } else { format!("{current} {word}") };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The word alone: keep it whole if it fits, else cut it into pieces that do.
        for char in word.chars() {
            current.push(char);
            if !fits(&current) && current.chars().count() > 1 {
                current.pop();
                lines.push(std::mem::take(&mut current));
                current.push(char);
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// An axis-aligned box in canvas pixels.
#[derive(Debug, Clone, Copy)]
struct Region {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

impl Region {
    fn rect(self) -> Option<Rect> {
        Rect::from_xywh(self.x, self.y, self.width, self.height)
    }
}

/// One text block of the column, before placement.
struct Block<'a> {
    text: &'a str,
    font: &'static Font,
    color: Rgb,
    share: f32,
    max_size_px: f32,
    min_size_px: f32,
}

/// Builds the scene of a banner, with the portrait's strokes when one is given.
pub fn build_scene(spec: &BannerSpec, portrait: Option<&StrokeSet>) -> Scene {
    let (width, height) = (spec.width_px as f32, spec.height_px as f32);
    let short_side = width.min(height);
    let padding = (short_side * 0.08).max(4.0);
    let wide = width >= height * 1.6;
    let colors = spec.colors;
    let portrait = portrait.filter(|set| !set.strokes.is_empty());
    let mut items = Vec::new();

    // Regions: the art (portrait or panel) beside the text on wide canvases, above it on others.
    let inner =
        Region { x: padding, y: padding, width: width - 2.0 * padding, height: height - 2.0 * padding };
    let has_art_region = match spec.layout {
        Layout::Centered => false,
        Layout::Split => true,
        Layout::Classic | Layout::Underline => portrait.is_some(),
    };
    let (art, mut text) = if !has_art_region {
        (None, inner)
    } else if wide {
        let side = inner.height.min(inner.width * 0.45);
        let text = Region { width: inner.width - side - padding, ..inner };
        match spec.layout {
            Layout::Split => (
                Some(Region { x: inner.x, ..Region { width: side, ..inner } }),
                Region { x: inner.x + side + padding, ..text },
            ),
            _ => (Some(Region { x: inner.x + inner.width - side, width: side, ..inner }), text),
        }
    } else {
        let art_height = inner.height * 0.45;
        let art = Region { height: art_height, ..inner };
        let text = Region {
            y: inner.y + art_height + padding,
            height: inner.height - art_height - padding,
            ..inner
        };
        (Some(art), text)
    };

    // Decorations of each layout.
    match spec.layout {
        Layout::Classic => {
            let bar = (short_side * 0.035).max(3.0);
            push_rect(&mut items, Region { x: 0.0, y: 0.0, width: bar, height }, colors.accent, 1.0);
            let shift = (bar + padding * 0.5 - text.x).max(0.0);
            text = Region { x: text.x + shift, width: text.width - shift, ..text };
        }
        Layout::Centered => {
            let line = (short_side * 0.015).max(2.0);
            let inset = padding * 0.4;
            let (outer_w, outer_h) = (width - 2.0 * inset, height - 2.0 * inset);
            for edge in [
                Region { x: inset, y: inset, width: outer_w, height: line },
                Region { x: inset, y: height - inset - line, width: outer_w, height: line },
                Region { x: inset, y: inset, width: line, height: outer_h },
                Region { x: width - inset - line, y: inset, width: line, height: outer_h },
            ] {
                push_rect(&mut items, edge, colors.accent, 1.0);
            }
        }
        Layout::Split => {
            if let Some(panel) = art {
                let panel = if wide {
                    Region { x: 0.0, y: 0.0, width: panel.x + panel.width + padding * 0.5, height }
                } else {
                    Region { x: 0.0, y: 0.0, width, height: panel.y + panel.height + padding * 0.5 }
                };
                push_rect(&mut items, panel, colors.accent, PANEL_OPACITY);
            }
        }
        Layout::Underline => {
            let band = (height * 0.05).max(3.0);
            push_rect(
                &mut items,
                Region { x: 0.0, y: height - band, width, height: band },
                colors.accent,
                1.0,
            );
            let overlap = (text.y + text.height - (height - band - padding * 0.5)).max(0.0);
            text.height -= overlap;
        }
    }

    // The portrait, in the accent colour.
    if let Some(set) = portrait {
        match (spec.layout, art) {
            (Layout::Centered, _) => push_strokes(&mut items, set, inner, colors.accent, BACKDROP_OPACITY),
            (_, Some(art)) => push_strokes(&mut items, set, art, colors.accent, 1.0),
            _ => {}
        }
    }

    // The text column.
    let mut blocks = Vec::new();
    let tagline_present = spec.tagline.is_some();
    let name_share = if tagline_present { 0.46 } else { 0.6 };
    let detail_share = if tagline_present { 0.27 } else { 0.4 };
    blocks.push(Block {
        text: &spec.name,
        font: font::bold(),
        color: colors.text,
        share: name_share,
        max_size_px: short_side * 0.18 + 12.0,
        min_size_px: MIN_NAME_SIZE_PX,
    });
    if let Some(tagline) = &spec.tagline {
        blocks.push(Block {
            text: tagline,
            font: font::regular(),
            color: colors.accent,
            share: detail_share,
            max_size_px: short_side * 0.08 + 8.0,
            min_size_px: MIN_DETAIL_SIZE_PX,
        });
    }
    blocks.push(Block {
        text: &spec.email,
        font: font::regular(),
        color: colors.text,
        share: detail_share,
        max_size_px: short_side * 0.08 + 8.0,
        min_size_px: MIN_DETAIL_SIZE_PX,
    });
    let centered = spec.layout == Layout::Centered;
    push_text_column(&mut items, &blocks, text, centered);

    Scene {
        width_px: spec.width_px,
        height_px: spec.height_px,
        background: colors.background,
        items,
        title: spec.name.clone(),
    }
}

/// Fits each block into its share of the region's height and centres the column vertically.
fn push_text_column(items: &mut Vec<Item>, blocks: &[Block<'_>], region: Region, centered: bool) {
    let fitted: Vec<FittedText> = blocks
        .iter()
        .map(|block| {
            let max_height = region.height * block.share;
            fit_text(block.font, block.text, region.width, max_height, block.max_size_px, block.min_size_px)
        })
        .collect();
    let heights: Vec<f32> = blocks
        .iter()
        .zip(&fitted)
        .map(|(block, fit)| fit.lines.len() as f32 * block.font.line_height_px(fit.size_px))
        .collect();

    // The blocks' heights never exceed their shares, so the spare height is never negative.
    let used: f32 = heights.iter().sum();
    let spare = (region.height - used).max(0.0);
    let gap = if blocks.len() > 1 {
        (spare * 0.5 / (blocks.len() - 1) as f32).min(region.height * 0.06)
    } else {
        0.0
    };
    let mut top = region.y + (spare - gap * (blocks.len() - 1) as f32) / 2.0;

    for ((block, fit), block_height) in blocks.iter().zip(&fitted).zip(heights) {
        let line_height = block.font.line_height_px(fit.size_px);
        let mut builder = PathBuilder::new();
        for (index, line) in fit.lines.iter().enumerate() {
            let line_width = block.font.text_width_px(line, fit.size_px);
            let x = if centered { region.x + (region.width - line_width) / 2.0 } else { region.x };
            let baseline = top + index as f32 * line_height + block.font.ascent_px(fit.size_px);
            block.font.append_outlines(&mut builder, line, fit.size_px, x, baseline);
        }
        if let Some(path) = builder.finish() {
            items.push(Item::Text { path, color: block.color });
        }
        top += block_height + gap;
    }
}

fn push_rect(items: &mut Vec<Item>, region: Region, color: Rgb, opacity: f32) {
    if let Some(rect) = region.rect() {
        items.push(Item::Rect { rect, color, opacity });
    }
}

/// Scales the stroke set to fit `region`, keeping its aspect ratio, and centres it there.
fn push_strokes(items: &mut Vec<Item>, set: &StrokeSet, region: Region, color: Rgb, opacity: f32) {
    let scale = (region.width / set.width as f32).min(region.height / set.height as f32);
    let offset_x = region.x + (region.width - set.width as f32 * scale) / 2.0;
    let offset_y = region.y + (region.height - set.height as f32 * scale) / 2.0;
    let mut builder = PathBuilder::new();
    for stroke in &set.strokes {
        let mut points =
            stroke.points.iter().map(|point| (offset_x + point.x * scale, offset_y + point.y * scale));
        if let Some((x, y)) = points.next() {
            builder.move_to(x, y);
            for (x, y) in points {
                builder.line_to(x, y);
            }
        }
    }
    if let Some(path) = builder.finish() {
        let width_px = (region.width.min(region.height) / 220.0).clamp(0.75, 3.0);
        items.push(Item::Polylines { path, width_px, color, opacity });
    }
}
