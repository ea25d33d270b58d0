//! Stroke set to a standalone SVG document: the instant preview, and the CLI's `--strokes OUT.svg`.

use std::fmt::Write;

use crate::model::{Pass, Rgb, StrokeSet};

/// Line width per pixel of the canvas's long side (1.5 px at 1024), so previews of every size look
/// alike.
const LINE_WIDTH_PER_LONG_SIDE_PX: f32 = 1.5 / 1024.0;

/// Thinnest line drawn, in canvas pixels.
const MIN_LINE_WIDTH_PX: f32 = 1.0;

/// Renders `set` as SVG: a background rectangle, then one `<path>` per stroke in drawing order (its class names the pass), with
/// round caps and joins and no fill. The view box is the stroke set's canvas.
pub fn to_svg(set: &StrokeSet, background: Rgb, sketch: Rgb) -> String {
    let long_side = set.width.max(set.height) as f32;
    let line_width = (long_side * LINE_WIDTH_PER_LONG_SIDE_PX).max(MIN_LINE_WIDTH_PX);
    let mut svg = String::with_capacity(64 + set.point_count() * 12);

    // Writing to a String cannot fail, so the results of `write!` are ignored.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
        w = set.width,
        h = set.height
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="{}"/>"#, background.to_hex());
    let _ = writeln!(
        svg,
        r#"<g fill="none" stroke="{}" stroke-width="{line_width:.2}" stroke-linecap="round" stroke-linejoin="round">"#,
        sketch.to_hex()
    );
    for stroke in &set.strokes {
        let class = match stroke.pass {
            Pass::Contour => "contour",
            Pass::Feature => "feature",
            Pass::Detail => "detail",
        };
        let _ = write!(svg, r#"<path class="{class}" d=""#);
        for (index, point) in stroke.points.iter().enumerate() {
            let command = if index == 0 { 'M' } else { 'L' };
            let _ = write!(svg, "{command}{:.1} {:.1}", point.x, point.y);
        }
        svg.push_str("\"/>\n");
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}
