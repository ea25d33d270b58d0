//! Rendering the real fonts and layouts: sizes, SVG structure, text inside the canvas, and a stored
//! reference image.
//!
//! Regenerate the reference after an intended rendering change with
//! `BANNERS_UPDATE_REFERENCE=1 cargo test --release -p banners --test render`, then look at the new
//! `tests/reference/classic-leaderboard.png` before committing it.

use banners::layout::{Item, Scene};
use banners::{BannerSpec, Layout, SizePreset, build_scene, parse_request, render_png, render_svg};
use serde_json::{Value, json};
use strokes::{Pass, Point, Stroke, StrokeSet};

const REFERENCE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/classic-leaderboard.png");
/// Largest difference allowed in any channel of any pixel against the reference.
const REFERENCE_TOLERANCE: u8 = 8;

fn request(name: &str, size: &str, layout: &str) -> Value {
    json!({
        "name": name,
        "email": "ada.lovelace@example.com",
        "tagline": "Poetical science since 1843",
        "layout": layout,
        "background_color": "#fdf6e3",
        "text_color": "#073642",
        "accent_color": "#d33682",
        "size": size,
    })
}

fn spec(value: &Value) -> BannerSpec {
    parse_request(value.to_string().as_bytes()).unwrap()
}

/// Builds a small drawing: a square with a diagonal, in a 200×100 space.
fn sample_strokes() -> StrokeSet {
    let point = |x: f32, y: f32| Point { x, y };
    StrokeSet {
        width: 200,
        height: 100,
        strokes: vec![
            Stroke {
                pass: Pass::Contour,
                points: vec![
                    point(60.0, 10.0),
                    point(140.0, 10.0),
                    point(140.0, 90.0),
                    point(60.0, 90.0),
                    point(60.0, 10.0),
                ],
            },
            Stroke { pass: Pass::Feature, points: vec![point(60.0, 10.0), point(140.0, 90.0)] },
        ],
    }
}

/// Decodes a PNG into (width, height, RGB bytes).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

#[test]
fn presets_render_at_exact_size() {
    for preset in SizePreset::ALL {
        let (width, height) = preset.size_px();
        for layout in Layout::ALL {
            let scene = build_scene(
                &spec(&request("Ada Lovelace", preset.id(), layout.id())),
                Some(&sample_strokes()),
            );

            let (png_width, png_height, _) = decode_png(&render_png(&scene, 1.0).unwrap());
            assert_eq!((png_width, png_height), (width, height), "{} {}", preset.id(), layout.id());

            let svg = render_svg(&scene);
            let document = roxmltree::Document::parse(&svg).unwrap_or_else(|error| panic!("{error}\n{svg}"));
            let root = document.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
            assert_eq!(root.attribute("width"), Some(width.to_string().as_str()));
            assert_eq!(root.attribute("height"), Some(height.to_string().as_str()));
            assert_eq!(root.attribute("viewBox"), Some(format!("0 0 {width} {height}").as_str()));
            assert!(
                document.descendants().all(|node| node.tag_name().name() != "text"),
                "text must be outlined, not a <text> element"
            );
            let paths = document.descendants().filter(|node| node.has_tag_name("path")).count();
            assert!(paths >= 4, "name, tagline, email and portrait paths: {paths}");
        }
    }
}

#[test]
fn preview_scales_long_side_to_600() {
    let scene = build_scene(&spec(&request("Ada", "linkedin-banner", "classic")), None);
    let scale = banners::preview_scale(scene.width_px, scene.height_px);
    let (width, height, _) = decode_png(&render_png(&scene, scale).unwrap());
    assert_eq!(width, 600);
    assert_eq!(height, 150, "1584×396 keeps its 4:1 shape");
}

fn assert_items_inside(scene: &Scene, context: &str) {
    let (width, height) = (scene.width_px as f32, scene.height_px as f32);
    for item in &scene.items {
        let (bounds, margin) = match item {
            Item::Rect { rect, .. } => (*rect, 0.0),
            Item::Text { path, .. } => (path.bounds(), 0.0),
            Item::Polylines { path, width_px, .. } => (path.bounds(), width_px / 2.0),
        };
        assert!(
            bounds.left() - margin >= 0.0
                && bounds.top() - margin >= 0.0
                && bounds.right() + margin <= width
                && bounds.bottom() + margin <= height,
            "{context}: {bounds:?} is outside {width}×{height}"
        );
    }
}

#[test]
fn long_name_stays_inside_canvas() {
    let long_name = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh-Cholmondeley XIV";
    let long_name: String = long_name.chars().take(80).collect();
    assert_eq!(long_name.chars().count(), 80);
    let unbroken: String = "W".repeat(80);

    for name in [long_name.as_str(), unbroken.as_str()] {
        for preset in SizePreset::ALL {
            for layout in Layout::ALL {
                let context = format!("{} {} {}", preset.id(), layout.id(), &name[..4]);
                let mut value = request(name, preset.id(), layout.id());
                value["tagline"] = "x".repeat(120).into();
                let scene = build_scene(&spec(&value), Some(&sample_strokes()));
                assert_items_inside(&scene, &context);
            }
        }
    }

    // The ink itself: black text on white with white decorations leaves only text pixels dark, and
    // none may touch the canvas edge.
    for preset in SizePreset::ALL {
        let mut value = request(&long_name, preset.id(), "classic");
        value["background_color"] = "#ffffff".into();
        value["accent_color"] = "#ffffff".into();
        value["text_color"] = "#000000".into();
        let scene = build_scene(&spec(&value), None);
        let (width, height, pixels) = decode_png(&render_png(&scene, 1.0).unwrap());
        let dark = |x: u32, y: u32| pixels[((y * width + x) * 3) as usize] < 200;
        let mut ink = 0;
        for y in 0..height {
            for x in 0..width {
                if dark(x, y) {
                    ink += 1;
                    assert!(
                        x > 0 && y > 0 && x < width - 1 && y < height - 1,
                        "{}: ink at {x},{y}",
                        preset.id()
                    );
                }
            }
        }
        assert!(ink > 500, "{}: the text left only {ink} dark pixels", preset.id());
    }
}

#[test]
fn long_name_shrinks_then_wraps() {
    let font = banners::font::bold();
    let fitted = banners::layout::fit_text(font, "Ada Lovelace", 400.0, 60.0, 40.0, 10.0);
    assert_eq!(fitted.lines, ["Ada Lovelace"]);
    assert_eq!(fitted.size_px, 40.0, "a short name keeps the largest size");

    let name = "Augusta Ada King, Countess of Lovelace and Analyst of Engines";
    let fitted = banners::layout::fit_text(font, name, 400.0, 60.0, 40.0, 10.0);
    assert_eq!(fitted.lines.len(), 1, "shrinking alone suffices: {fitted:?}");
    assert!(fitted.size_px < 40.0, "{fitted:?}");
    assert!(fitted.size_px >= 10.0, "{fitted:?}");

    let fitted = banners::layout::fit_text(font, name, 150.0, 60.0, 40.0, 10.0);
    assert!(fitted.lines.len() > 1, "too wide at the minimum size, so it wraps: {fitted:?}");
    assert_eq!(fitted.size_px, 10.0);
    assert_eq!(fitted.lines.join(" "), name, "wrapping keeps every word");
    for line in &fitted.lines {
        assert!(font.text_width_px(line, fitted.size_px) <= 150.0, "{line}");
    }
}

#[test]
fn svg_escapes_name_in_title() {
    let scene = build_scene(&spec(&request("Ada <&> \"Byron\"", "email-signature", "centered")), None);
    let svg = render_svg(&scene);
    let document = roxmltree::Document::parse(&svg).unwrap();
    let title = document.descendants().find(|node| node.has_tag_name("title")).unwrap();
    assert_eq!(title.text(), Some("Ada <&> \"Byron\""));
}

#[test]
fn portrait_adds_accent_strokes() {
    let mut value = request("Ada Lovelace", "social-share", "classic");
    value["tagline"] = Value::Null;
    let without = render_png(&build_scene(&spec(&value), None), 1.0).unwrap();
    let with = render_png(&build_scene(&spec(&value), Some(&sample_strokes())), 1.0).unwrap();
    let (width, _, pixels) = decode_png(&with);
    let (_, _, plain) = decode_png(&without);
    let accent = [0xd3u8, 0x36, 0x82];
    let accent_pixels = |pixels: &[u8]| {
        pixels
            .chunks_exact(3)
            .enumerate()
            .filter(|(index, pixel)| {
                (*index as u32 % width) > width / 2
                    && pixel.iter().zip(accent).all(|(a, b)| a.abs_diff(b) < 10)
            })
            .count()
    };
    assert_eq!(accent_pixels(&plain), 0, "without a portrait the right half has no accent");
    assert!(accent_pixels(&pixels) > 500, "the portrait is drawn in the accent colour on the right");
}

#[test]
fn reference_image_matches() {
    let mut value = request("Ada Lovelace", "leaderboard", "classic");
    value["tagline"] = "Poetical science".into();
    let png = render_png(&build_scene(&spec(&value), Some(&sample_strokes())), 1.0).unwrap();

    if std::env::var_os("BANNERS_UPDATE_REFERENCE").is_some() {
        std::fs::write(REFERENCE_PATH, &png).unwrap();
        eprintln!("wrote {REFERENCE_PATH}");
    }
    let reference = std::fs::read(REFERENCE_PATH).unwrap_or_else(|error| {
        panic!("cannot read {REFERENCE_PATH} ({error}); create it with BANNERS_UPDATE_REFERENCE=1")
    });
    let (width, height, expected) = decode_png(&reference);
    let (actual_width, actual_height, actual) = decode_png(&png);
    assert_eq!((actual_width, actual_height), (width, height));

    let mut worst = 0u8;
    let mut differing = 0usize;
    for (a, b) in actual.iter().zip(&expected) {
        let difference = a.abs_diff(*b);
        worst = worst.max(difference);
        if difference > REFERENCE_TOLERANCE {
            differing += 1;
        }
    }
    assert_eq!(
        differing, 0,
        "{differing} channel values differ by more than {REFERENCE_TOLERANCE} (worst {worst}); if the change \
         is intended, regenerate with BANNERS_UPDATE_REFERENCE=1"
    );
}

#[test]
fn svg_draws_same_as_png() {
    for (preset, layout) in
        [("leaderboard", "classic"), ("medium-rectangle", "split"), ("x-header", "centered")]
    {
        let scene = build_scene(&spec(&request("Ada Lovelace", preset, layout)), Some(&sample_strokes()));
        let (_, _, png_pixels) = decode_png(&render_png(&scene, 1.0).unwrap());

        // resvg draws the SVG with the same rasteriser, so the only differences are rounding of the
        // two-decimal coordinates and opacity.
        let tree =
            resvg::usvg::Tree::from_str(&render_svg(&scene), &resvg::usvg::Options::default()).unwrap();
        let mut pixmap = tiny_skia::Pixmap::new(scene.width_px, scene.height_px).unwrap();
        resvg::render(&tree, tiny_skia::Transform::identity(), &mut pixmap.as_mut());
        let svg_pixels: Vec<u8> =
            pixmap.data().chunks_exact(4).flat_map(|pixel| [pixel[0], pixel[1], pixel[2]]).collect();

        assert_eq!(svg_pixels.len(), png_pixels.len());
        let channels = png_pixels.len();
        let far = svg_pixels.iter().zip(&png_pixels).filter(|(a, b)| a.abs_diff(**b) > 16).count();
        assert!(
            far * 1000 < channels,
            "{preset} {layout}: {far} of {channels} channel values differ by more than 16"
        );
    }
}
