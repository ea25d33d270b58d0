//! Turning a [`Scene`] into PNG bytes (rasterised by tiny-skia, encoded by `png`) or SVG text.

use std::fmt::Write as _;

use strokes::Rgb;
use tiny_skia::{FillRule, LineCap, LineJoin, Paint, Path, PathSegment, Pixmap, Stroke, Transform};

use crate::error::BannerError;
use crate::layout::{Item, Scene};

/// Maximum length of a preview's long side, in pixels.
pub const PREVIEW_MAX_SIDE_PX: u32 = 600;

/// Returns the scale factor of a preview: 1 for canvases within [`PREVIEW_MAX_SIDE_PX`], less for
/// larger ones.
pub fn preview_scale(width_px: u32, height_px: u32) -> f32 {
    let long_side = width_px.max(height_px) as f32;
    (PREVIEW_MAX_SIDE_PX as f32 / long_side).min(1.0)
}

/// Returns the pixel size of the scene drawn at `scale`, at least 1×1.
pub fn scaled_size(scene: &Scene, scale: f32) -> (u32, u32) {
    let scaled = |side: u32| ((side as f32 * scale).round() as u32).max(1);
    (scaled(scene.width_px), scaled(scene.height_px))
}

/// Rasterises the scene at `scale` (1 for full size) into an opaque RGB PNG.
pub fn render_png(scene: &Scene, scale: f32) -> Result<Vec<u8>, BannerError> {
    let pixmap = rasterise(scene, scale)?;
    encode_png(&pixmap)
}

/// Rasterises the scene at `scale` into a premultiplied RGBA pixmap.
pub fn rasterise(scene: &Scene, scale: f32) -> Result<Pixmap, BannerError> {
    let (width, height) = scaled_size(scene, scale);
    let mut pixmap = Pixmap::new(width, height)
        .ok_or_else(|| BannerError::Output(format!("cannot allocate a {width}×{height} pixel image")))?;
    pixmap.fill(color(scene.background, 1.0));
    let transform =
        Transform::from_scale(width as f32 / scene.width_px as f32, height as f32 / scene.height_px as f32);

    for item in &scene.items {
        match item {
            Item::Rect { rect, color: rgb, opacity } => {
                pixmap.fill_rect(*rect, &paint(*rgb, *opacity), transform, None);
            }
            Item::Text { path, color: rgb } => {
                pixmap.fill_path(path, &paint(*rgb, 1.0), FillRule::Winding, transform, None);
            }
            Item::Polylines { path, width_px, color: rgb, opacity } => {
                let stroke = Stroke {
                    width: *width_px,
                    line_cap: LineCap::Round,
                    line_join: LineJoin::Round,
                    ..Stroke::default()
                };
                pixmap.stroke_path(path, &paint(*rgb, *opacity), &stroke, transform, None);
            }
        }
    }
    Ok(pixmap)
}

/// Encodes an opaque pixmap as an 8-bit RGB PNG. The background is opaque, so dropping alpha loses
/// nothing and premultiplied values equal straight ones.
fn encode_png(pixmap: &Pixmap) -> Result<Vec<u8>, BannerError> {
    let rgb: Vec<u8> =
        pixmap.data().chunks_exact(4).flat_map(|pixel| [pixel[0], pixel[1], pixel[2]]).collect();
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let output_error =
        |error: png::EncodingError| BannerError::Output(format!("PNG encoding failed: {error}"));
    let mut writer = encoder.write_header().map_err(output_error)?;
    writer.write_image_data(&rgb).map_err(output_error)?;
    writer.finish().map_err(output_error)?;
    Ok(bytes)
}

/// Writes the scene as an SVG document at its full size, with text as outlines.
pub fn render_svg(scene: &Scene) -> String {
    let (width, height) = (scene.width_px, scene.height_px);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\">\n<title>{}</title>\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"{}\"/>\n",
        ecards::mail::escape_html(&scene.title),
        scene.background.to_hex(),
    );
    for item in &scene.items {
        match item {
            Item::Rect { rect, color, opacity } => {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}/>",
                    number(rect.x()),
                    number(rect.y()),
                    number(rect.width()),
                    number(rect.height()),
                    color.to_hex(),
                    opacity_attribute("fill-opacity", *opacity),
                );
            }
            Item::Text { path, color } => {
                let _ = writeln!(svg, "<path d=\"{}\" fill=\"{}\"/>", path_data(path), color.to_hex());
            }
            Item::Polylines { path, width_px, color, opacity } => {
                let _ = writeln!(
                    svg,
                    "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linecap=\"round\" \
                     stroke-linejoin=\"round\"{}/>",
                    path_data(path),
                    color.to_hex(),
                    number(*width_px),
                    opacity_attribute("stroke-opacity", *opacity),
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn paint(rgb: Rgb, opacity: f32) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(color(rgb, opacity));
    paint.anti_alias = true;
    paint
}

fn color(rgb: Rgb, opacity: f32) -> tiny_skia::Color {
    let alpha = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    tiny_skia::Color::from_rgba8(rgb.r, rgb.g, rgb.b, alpha)
}

fn opacity_attribute(name: &str, opacity: f32) -> String {
    if opacity >= 1.0 { String::new() } else { format!(" {name}=\"{}\"", number(opacity)) }
}

/// Converts a path to SVG path data with absolute commands.
fn path_data(path: &Path) -> String {
    let mut data = String::new();
    for segment in path.segments() {
        let _ = match segment {
            PathSegment::MoveTo(p) => write!(data, "M{} {}", number(p.x), number(p.y)),
            PathSegment::LineTo(p) => write!(data, "L{} {}", number(p.x), number(p.y)),
            PathSegment::QuadTo(c, p) => {
                write!(data, "Q{} {} {} {}", number(c.x), number(c.y), number(p.x), number(p.y))
            }
            PathSegment::CubicTo(c1, c2, p) => write!(
                data,
                "C{} {} {} {} {} {}",
                number(c1.x),
                number(c1.y),
                number(c2.x),
                number(c2.y),
                number(p.x),
                number(p.y)
            ),
            PathSegment::Close => write!(data, "Z"),
        };
    }
    data
}

/// Formats a coordinate with at most two decimals and no trailing zeros.
fn number(value: f32) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(0.126), "0.13");
        assert_eq!(number(-0.001), "0");
    }

    #[test]
    fn preview_scale_caps_long_side() {
        assert_eq!(preview_scale(300, 250), 1.0);
        assert_eq!(preview_scale(1200, 628), 0.5);
        assert_eq!(preview_scale(500, 1200), 0.5);
    }
}
