//! Synthetic stroke sets and pixel checks shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset of the helpers")]

use animation::{Animation, AnimationSpec, Fit, Frame, Pass, Point, Rgb, Stroke, StrokeSet, Style};

pub const PAPER: Rgb = Rgb::WHITE;
pub const INK: Rgb = Rgb::BLACK;

/// Returns a spec with white paper and black ink.
pub fn spec(style: Style, width: u32, height: u32, duration_ms: u32) -> AnimationSpec {
    AnimationSpec { style, width, height, duration_ms, background: PAPER, sketch: INK }
}

/// Returns a closed polygon approximating a circle, starting at angle 0.
pub fn circle(pass: Pass, centre_x: f32, centre_y: f32, radius: f32, segments: usize) -> Stroke {
    let points = (0..=segments)
        .map(|index| {
            let angle = index as f32 / segments as f32 * std::f32::consts::TAU;
            Point::new(centre_x + radius * angle.cos(), centre_y + radius * angle.sin())
        })
        .collect();
    Stroke { pass, points }
}

/// Returns an open polyline through `points`, offset by `(x, y)` and scaled by `scale`.
pub fn polyline(pass: Pass, x: f32, y: f32, scale: f32, points: &[(f32, f32)]) -> Stroke {
    let points = points.iter().map(|&(px, py)| Point::new(x + px * scale, y + py * scale)).collect();
    Stroke { pass, points }
}

/// Returns shapes far apart on a 1000×700 canvas, in all three passes. The contours are a circle top
/// left and a square bottom right, the features the letters T top right and L bottom left, and the
/// detail a small circle in the middle and the letter Z bottom centre. Pen-up travel between them
/// crosses empty paper, so any jump line shows as ink off the strokes.
pub fn separated_shapes() -> StrokeSet {
    let strokes = vec![
        circle(Pass::Contour, 160.0, 160.0, 110.0, 72),
        polyline(
            Pass::Contour,
            720.0,
            440.0,
            1.0,
            &[(0.0, 0.0), (220.0, 0.0), (220.0, 220.0), (0.0, 220.0), (0.0, 0.0)],
        ),
        polyline(Pass::Feature, 780.0, 60.0, 1.5, &[(0.0, 0.0), (60.0, 0.0)]),
        polyline(Pass::Feature, 780.0, 60.0, 1.5, &[(30.0, 0.0), (30.0, 80.0)]),
        polyline(Pass::Feature, 80.0, 440.0, 1.5, &[(0.0, 0.0), (0.0, 80.0), (50.0, 80.0)]),
        circle(Pass::Detail, 500.0, 350.0, 35.0, 24),
        polyline(Pass::Detail, 430.0, 560.0, 1.2, &[(0.0, 0.0), (50.0, 0.0), (0.0, 80.0), (50.0, 80.0)]),
    ];
    StrokeSet { width: 1000, height: 700, strokes }
}

/// Returns the strokes' segments in frame pixels.
pub fn frame_segments(set: &StrokeSet, fit: &Fit) -> Vec<(Point, Point)> {
    set.strokes
        .iter()
        .flat_map(|stroke| stroke.points.windows(2).map(|pair| (fit.map(pair[0]), fit.map(pair[1]))))
        .collect()
}

/// Returns the distance from `point` to the segment from `a` to `b`.
pub fn distance_to_segment(point: (f32, f32), a: Point, b: Point) -> f32 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared > 0.0 {
        (((point.0 - a.x) * dx + (point.1 - a.y) * dy) / length_squared).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (point.0 - (a.x + t * dx)).hypot(point.1 - (a.y + t * dy))
}

/// Returns, per pixel, whether the pixel centre lies within `radius_px` of a stroke.
pub fn near_strokes(set: &StrokeSet, fit: &Fit, width: u32, height: u32, radius_px: f32) -> Vec<bool> {
    let mut near = vec![false; (width * height) as usize];
    for (a, b) in frame_segments(set, fit) {
        let left = (a.x.min(b.x) - radius_px).floor().max(0.0) as u32;
        let top = (a.y.min(b.y) - radius_px).floor().max(0.0) as u32;
        let right = ((a.x.max(b.x) + radius_px).ceil() as u32).min(width - 1);
        let bottom = ((a.y.max(b.y) + radius_px).ceil() as u32).min(height - 1);
        for y in top..=bottom {
            for x in left..=right {
                if distance_to_segment((x as f32 + 0.5, y as f32 + 0.5), a, b) <= radius_px {
                    near[(y * width + x) as usize] = true;
                }
            }
        }
    }
    near
}

/// Returns whether a pixel differs from `background` at all.
pub fn is_drawn(pixel: Rgb, background: Rgb) -> bool {
    pixel != background
}

/// Returns how far a pixel is from `background` towards `sketch`, from 0 to 1, along the channel where
/// the two colours differ most.
pub fn sketch_share(pixel: Rgb, background: Rgb, sketch: Rgb) -> f32 {
    let channels = [
        (pixel.r, background.r, sketch.r),
        (pixel.g, background.g, sketch.g),
        (pixel.b, background.b, sketch.b),
    ];
    let (value, from, to) =
        channels.into_iter().max_by_key(|&(_, from, to)| from.abs_diff(to)).expect("three channels");
    (f32::from(value) - f32::from(from)) / (f32::from(to) - f32::from(from))
}

/// Returns the pixels of a frame as colours, row by row.
pub fn pixels(frame: &Frame) -> Vec<Rgb> {
    frame.rgba().chunks_exact(4).map(|pixel| Rgb::new(pixel[0], pixel[1], pixel[2])).collect()
}

/// Counts the pixels of solid ink: at least 80 % of the way from paper to sketch colour. The
/// translucent circles, arms and pen-tip fill stay below that.
pub fn solid_ink_pixels(frame: &Frame, spec: &AnimationSpec) -> usize {
    pixels(frame)
        .into_iter()
        .filter(|&pixel| sketch_share(pixel, spec.background, spec.sketch) >= 0.8)
        .count()
}

/// Renders all frames and returns clones of those whose index is in `wanted`, in order.
pub fn render_frames(animation: &Animation, wanted: &[u32]) -> Vec<Frame> {
    let mut renderer = animation.renderer();
    let mut picked = Vec::new();
    loop {
        let index = renderer.next_index();
        let Some(frame) = renderer.next_frame() else { break };
        if wanted.contains(&index) {
            picked.push(frame.clone());
        }
    }
    assert_eq!(picked.len(), wanted.len(), "some wanted frame indices are past the last frame");
    picked
}

/// Returns points every `step_px` along the strokes, in frame pixels, stroke ends included.
pub fn points_along_strokes(set: &StrokeSet, fit: &Fit, step_px: f32) -> Vec<Point> {
    let mut points = Vec::new();
    for (a, b) in frame_segments(set, fit) {
        let steps = (a.distance(b) / step_px).ceil().max(1.0) as usize;
        for index in 0..=steps {
            let t = index as f32 / steps as f32;
            points.push(Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t));
        }
    }
    points
}

/// Returns whether some pixel whose centre is within `radius_px` of `point` is at least half-way
/// from paper to sketch colour.
pub fn has_ink_near(frame: &Frame, spec: &AnimationSpec, point: Point, radius_px: f32) -> bool {
    let left = (point.x - radius_px).floor().max(0.0) as u32;
    let top = (point.y - radius_px).floor().max(0.0) as u32;
    let right = ((point.x + radius_px).ceil() as u32).min(frame.width() - 1);
    let bottom = ((point.y + radius_px).ceil() as u32).min(frame.height() - 1);
    (top..=bottom).any(|y| {
        (left..=right).any(|x| {
            let centre_distance = (x as f32 + 0.5 - point.x).hypot(y as f32 + 0.5 - point.y);
            let pixel = frame.pixel(x, y).expect("inside the frame");
            centre_distance <= radius_px && sketch_share(pixel, spec.background, spec.sketch) >= 0.5
        })
    })
}

/// Returns the point at pen-down length `length_px` along the strokes in frame pixels, pen-up travel
/// not counted.
pub fn point_at_length(set: &StrokeSet, fit: &Fit, length_px: f64) -> Point {
    let mut remaining = length_px;
    let segments = frame_segments(set, fit);
    for &(a, b) in &segments {
        let segment_px = f64::from(a.distance(b));
        if remaining <= segment_px && segment_px > 0.0 {
            let t = (remaining / segment_px) as f32;
            return Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
        }
        remaining -= segment_px;
    }
    segments.last().expect("at least one segment").1
}
