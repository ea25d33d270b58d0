//! Rasterising: the persistent ink layer, the circles or pen tip on top, and the frames.

use strokes::{Point, Rgb};
use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Rect, Stroke, Transform,
};

use crate::Animation;
use crate::ink::InkPosition;
use crate::spec::Style;

/// Opacity of the epicycle circles over the background.
const CIRCLE_OPACITY: f32 = 0.3;

/// Opacity of the radius arms that chain the circles to the pen tip.
const ARM_OPACITY: f32 = 0.65;

/// Width of circles and arms in pixels. It is just over 1 px because tiny-skia draws strokes of 1 px or
/// less as hairlines, segment by segment, so overlapping circles would add up to solid ink. A wider
/// stroke is filled as one outline, where overlaps keep the opacity of a single circle.
const OVERLAY_LINE_WIDTH_PX: f32 = 1.05;

/// Circles smaller than this radius in pixels are not drawn; their arms still are.
const MIN_CIRCLE_RADIUS_PX: f64 = 1.5;

/// Radius of the dot at the tip of the epicycle chain, in ink line widths.
const CHAIN_TIP_RADIUS_LINE_WIDTHS: f32 = 1.0;

/// Radius of the pen-tip marker, in ink line widths.
const PEN_TIP_RADIUS_LINE_WIDTHS: f32 = 2.4;

/// Opacity of the pen-tip marker's fill; its outline is opaque.
const PEN_TIP_FILL_OPACITY: f32 = 0.35;

/// One rendered frame: opaque RGBA pixels, row by row from the top left.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pixmap: Pixmap,
}

impl Frame {
    /// Returns the width in pixels.
    #[must_use]
    pub fn width(&self) -> u32 {
        self.pixmap.width()
    }

    /// Returns the height in pixels.
    #[must_use]
    pub fn height(&self) -> u32 {
        self.pixmap.height()
    }

    /// Returns the pixels as RGBA bytes, 4 per pixel, rows from the top. Every pixel is opaque (alpha
    /// 255), so the bytes are straight RGBA although tiny-skia stores premultiplied colour.
    #[must_use]
    pub fn rgba(&self) -> &[u8] {
        self.pixmap.data()
    }

    /// Returns the colour of the pixel at column `x` and row `y`, or `None` outside the frame.
    #[must_use]
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb> {
        let pixel = self.pixmap.pixel(x, y)?;
        Some(Rgb::new(pixel.red(), pixel.green(), pixel.blue()))
    }

    /// Returns the pixels as packed RGB bytes, 3 per pixel, rows from the top.
    #[must_use]
    pub fn to_rgb(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(self.rgba().len() / 4 * 3);
        for pixel in self.rgba().chunks_exact(4) {
            rgb.extend_from_slice(&pixel[..3]);
        }
        rgb
    }
}

/// Paints and stroke settings of one animation, built once.
struct Pens {
    background: Color,
    sketch: Rgb,
    ink: Paint<'static>,
    ink_stroke: Stroke,
    overlay_stroke: Stroke,
}

impl Pens {
    fn new(animation: &Animation) -> Self {
        let spec = animation.spec();
        let ink_stroke = Stroke {
            width: spec.line_width_px(),
            line_cap: LineCap::Round,
            line_join: LineJoin::Round,
            ..Stroke::default()
        };
        let overlay_stroke = Stroke { width: OVERLAY_LINE_WIDTH_PX, ..ink_stroke.clone() };
        Self {
            background: opaque(spec.background),
            sketch: spec.sketch,
            ink: paint(spec.sketch, 1.0),
            ink_stroke,
            overlay_stroke,
        }
    }
}

fn opaque(colour: Rgb) -> Color {
    Color::from_rgba8(colour.r, colour.g, colour.b, 255)
}

fn paint(colour: Rgb, opacity: f32) -> Paint<'static> {
    let mut paint = Paint { anti_alias: true, ..Paint::default() };
    let alpha = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    paint.set_color_rgba8(colour.r, colour.g, colour.b, alpha);
    paint
}

/// Renders the frames of an [`Animation`] in order, one at a time.
///
/// The ink is kept in a layer that only grows. For each frame the renderer first copies the ink layer
/// back over the area of the previous frame's circles or pen tip. It then adds the strokes drawn since
/// the previous frame to both the ink layer and the frame, and draws the new circles or pen tip on the
/// frame.
pub struct FrameRenderer<'a> {
    animation: &'a Animation,
    pens: Pens,
    next_index: u32,
    ink: Pixmap,
    frame: Frame,
    /// Area of the frame covered by the circles or pen tip of the previous frame.
    overlay_area: Option<Area>,
}

impl<'a> FrameRenderer<'a> {
    pub(crate) fn new(animation: &'a Animation) -> Self {
        let pens = Pens::new(animation);
        let ink = blank_pixmap(animation, pens.background);
        let frame = Frame { pixmap: ink.clone() };
        Self { animation, pens, next_index: 0, ink, frame, overlay_area: None }
    }

    /// Returns the index (0-based) of the frame the next call to [`Self::next_frame`] renders.
    #[must_use]
    pub fn next_index(&self) -> u32 {
        self.next_index
    }

    /// Renders the next frame and returns it, or returns `None` after the last frame.
    pub fn next_frame(&mut self) -> Option<&Frame> {
        let animation = self.animation;
        let timeline = &animation.timeline;
        let index = self.next_index;
        if index >= timeline.frame_count() {
            return None;
        }
        self.next_index += 1;

        // Erase the previous circles or pen tip: outside their area the frame already equals the ink.
        if let Some(area) = self.overlay_area.take() {
            area.copy(&self.ink, &mut self.frame.pixmap);
        }
        // The hold frames show the finished ink, which the last drawing frame completed.
        if timeline.is_hold(index) {
            return Some(&self.frame);
        }

        if let Some(piece) = ink_piece(animation, index) {
            let identity = Transform::identity();
            self.ink.stroke_path(&piece, &self.pens.ink, &self.pens.ink_stroke, identity, None);
            self.frame.pixmap.stroke_path(&piece, &self.pens.ink, &self.pens.ink_stroke, identity, None);
        }

        let opacity = timeline.overlay_opacity_at(index);
        if opacity > 0.0 {
            let position = animation.ink.locate(timeline.ink_length_at(index));
            let tip = animation.ink.point_at(position);
            let pixmap = &mut self.frame.pixmap;
            let bounds = match animation.spec().style {
                Style::Epicycles => draw_chain(pixmap, animation, &self.pens, position, tip, opacity),
                Style::Pen => draw_pen_tip(pixmap, animation, &self.pens, tip, opacity),
            };
            self.overlay_area = bounds.map(|bounds| Area::covering(bounds, pixmap.width(), pixmap.height()));
        }
        Some(&self.frame)
    }
}

/// A rectangle of whole pixels: columns `left..right`, rows `top..bottom`.
#[derive(Debug, Clone, Copy)]
struct Area {
    left: usize,
    top: usize,
    right: usize,
    bottom: usize,
}

impl Area {
    /// Pixels around anti-aliased edges and stroke widths beyond the bounds of the drawn path points.
    const PADDING_PX: f32 = 2.0;

    /// Returns the pixels that drawing inside `bounds` can change, clipped to the frame.
    fn covering(bounds: Rect, width: u32, height: u32) -> Self {
        let clip = |value: f32, limit: u32| value.clamp(0.0, limit as f32) as usize;
        Self {
            left: clip((bounds.left() - Self::PADDING_PX).floor(), width),
            top: clip((bounds.top() - Self::PADDING_PX).floor(), height),
            right: clip((bounds.right() + Self::PADDING_PX).ceil(), width),
            bottom: clip((bounds.bottom() + Self::PADDING_PX).ceil(), height),
        }
    }

    /// Copies the area's pixels from `source` to `target`, which have the same size.
    fn copy(&self, source: &Pixmap, target: &mut Pixmap) {
        let row_bytes = source.width() as usize * 4;
        let columns = self.left * 4..self.right * 4;
        for row in self.top..self.bottom {
            let start = row * row_bytes;
            let source_row = &source.data()[start..start + row_bytes];
            let target_row = &mut target.data_mut()[start..start + row_bytes];
            target_row[columns.clone()].copy_from_slice(&source_row[columns.clone()]);
        }
    }
}

/// Renders the ink of the finished drawing piece by piece, as the renderer does, so that the result
/// equals the hold frames pixel for pixel.
pub(crate) fn render_final(animation: &Animation) -> Frame {
    let pens = Pens::new(animation);
    let mut ink = blank_pixmap(animation, pens.background);
    for index in 1..animation.timeline.drawing_frames() {
        if let Some(piece) = ink_piece(animation, index) {
            ink.stroke_path(&piece, &pens.ink, &pens.ink_stroke, Transform::identity(), None);
        }
    }
    Frame { pixmap: ink }
}

fn blank_pixmap(animation: &Animation, background: Color) -> Pixmap {
    let spec = animation.spec();
    // The spec was validated, so both sides are between 240 and 1920 pixels.
    let mut pixmap = Pixmap::new(spec.width, spec.height).expect("validated frame size is non-zero");
    pixmap.fill(background);
    pixmap
}

/// Returns the strokes drawn between the previous frame and frame `index`, or `None` if there are none.
fn ink_piece(animation: &Animation, index: u32) -> Option<Path> {
    if index == 0 {
        return None;
    }
    let timeline = &animation.timeline;
    let from_px = timeline.ink_length_at(index - 1);
    let to_px = timeline.ink_length_at(index);
    let is_last = index + 1 == timeline.drawing_frames();

    let mut builder = PathBuilder::new();
    animation.ink.append_piece(&mut builder, from_px, to_px, is_last);
    builder.finish()
}

/// Draws the epicycle chain of the pass being drawn: circles from the centre term, largest first, the
/// arms joining their centres, a last arm to the exact pen tip, and a dot at the tip. Returns the
/// bounds of what it drew.
fn draw_chain(
    pixmap: &mut Pixmap,
    animation: &Animation,
    pens: &Pens,
    position: InkPosition,
    tip: Point,
    opacity: f32,
) -> Option<Rect> {
    let paths = animation.pass_paths();
    // The paths cover consecutive ranges of strokes, in order.
    let path_index = paths.partition_point(|path| path.strokes_end() <= position.stroke);
    let pass_path = paths.get(path_index)?;
    let sample_position = pass_path.sample_position(position);
    let sample_count = pass_path.series().len();

    // Walk the chain: each circle is centred on the end of the previous arm.
    let mut circles = PathBuilder::new();
    let mut arms = PathBuilder::new();
    let mut centre = pass_path.series().centre();
    arms.move_to(centre.re as f32, centre.im as f32);
    for term in pass_path.circles() {
        let radius = term.radius();
        if radius >= MIN_CIRCLE_RADIUS_PX {
            circles.push_circle(centre.re as f32, centre.im as f32, radius as f32);
        }
        centre += term.at(sample_position, sample_count);
        arms.line_to(centre.re as f32, centre.im as f32);
    }
    // The visible terms only approximate the path; the last arm spans the sum of all other terms.
    arms.line_to(tip.x, tip.y);

    let identity = Transform::identity();
    let mut bounds: Option<Rect> = None;
    if let Some(path) = circles.finish() {
        let paint = paint(pens.sketch, CIRCLE_OPACITY * opacity);
        pixmap.stroke_path(&path, &paint, &pens.overlay_stroke, identity, None);
        bounds = union(bounds, path.bounds());
    }
    if let Some(path) = arms.finish() {
        let paint = paint(pens.sketch, ARM_OPACITY * opacity);
        pixmap.stroke_path(&path, &paint, &pens.overlay_stroke, identity, None);
        bounds = union(bounds, path.bounds());
    }
    let tip_radius = CHAIN_TIP_RADIUS_LINE_WIDTHS * animation.line_width_px();
    if let Some(path) = PathBuilder::from_circle(tip.x, tip.y, tip_radius) {
        pixmap.fill_path(&path, &paint(pens.sketch, opacity), FillRule::Winding, identity, None);
        bounds = union(bounds, path.bounds());
    }
    bounds
}

fn union(bounds: Option<Rect>, other: Rect) -> Option<Rect> {
    let Some(bounds) = bounds else {
        return Some(other);
    };
    Rect::from_ltrb(
        bounds.left().min(other.left()),
        bounds.top().min(other.top()),
        bounds.right().max(other.right()),
        bounds.bottom().max(other.bottom()),
    )
}

/// Draws the pen-tip marker, a translucent disc with an opaque outline, and returns its bounds.
fn draw_pen_tip(
    pixmap: &mut Pixmap,
    animation: &Animation,
    pens: &Pens,
    tip: Point,
    opacity: f32,
) -> Option<Rect> {
    let radius = PEN_TIP_RADIUS_LINE_WIDTHS * animation.line_width_px();
    let path = PathBuilder::from_circle(tip.x, tip.y, radius)?;
    let identity = Transform::identity();
    let fill = paint(pens.sketch, PEN_TIP_FILL_OPACITY * opacity);
    pixmap.fill_path(&path, &fill, FillRule::Winding, identity, None);
    let outline = paint(pens.sketch, opacity);
    pixmap.stroke_path(&path, &outline, &pens.overlay_stroke, identity, None);
    Some(path.bounds())
}
