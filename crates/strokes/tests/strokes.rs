//! Strokes: geometry of extracted lines on known shapes, pass order, adaptive thresholds on bright and
//! dark photos, the point budget, the serialised form and the SVG output.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use strokes::model::MAX_SERIALISED_BYTES;
use strokes::{
    FormatError, Pass, PhotoError, Point, Rgb, StrokeOptions, StrokeSet, photo_to_strokes,
    photo_to_strokes_with, to_svg,
};

const ASTRONAUT_PNG: &[u8] = include_bytes!("../../../assets/samples/astronaut.png");
const CAMERA_PNG: &[u8] = include_bytes!("../../../assets/samples/camera.png");

/// Canvas of the synthetic images, in pixels (the minimum working size, so it is not resized).
const CANVAS_PX: u32 = 512;

fn png_bytes(gray: &GrayImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(gray.clone()).write_to(&mut bytes, ImageFormat::Png).expect("PNG encodes");
    bytes.into_inner()
}

/// A circle outline in canvas pixels.
#[derive(Clone, Copy)]
struct Circle {
    centre: Point,
    radius: f32,
}

impl Circle {
    /// Returns the distance from `point` to the circle line.
    fn edge_distance(self, point: Point) -> f32 {
        (point.distance(self.centre) - self.radius).abs()
    }

    fn edge_samples(self, spacing: f32) -> Vec<Point> {
        let count = (std::f32::consts::TAU * self.radius / spacing) as usize;
        (0..count)
            .map(|k| {
                let angle = k as f32 / count as f32 * std::f32::consts::TAU;
                Point::new(
                    self.centre.x + self.radius * angle.cos(),
                    self.centre.y + self.radius * angle.sin(),
                )
            })
            .collect()
    }
}

/// An axis-aligned rectangle in canvas pixels: `left..right` by `top..bottom`.
#[derive(Clone, Copy)]
struct Rectangle {
    left: f32,
    top: f32,
    right: f32,
    bottom: f32,
}

impl Rectangle {
    fn contains(self, point: Point) -> bool {
        (self.left..self.right).contains(&point.x) && (self.top..self.bottom).contains(&point.y)
    }

    /// Returns the distance from `point` to the rectangle's boundary, from inside or outside.
    fn edge_distance(self, point: Point) -> f32 {
        let dx = (self.left - point.x).max(point.x - self.right);
        let dy = (self.top - point.y).max(point.y - self.bottom);
        if dx > 0.0 || dy > 0.0 { dx.max(0.0).hypot(dy.max(0.0)) } else { dx.max(dy).abs() }
    }

    fn edge_samples(self, spacing: f32) -> Vec<Point> {
        let mut samples = Vec::new();
        let mut x = self.left;
        while x <= self.right {
            samples.push(Point::new(x, self.top));
            samples.push(Point::new(x, self.bottom));
            x += spacing;
        }
        let mut y = self.top;
        while y <= self.bottom {
            samples.push(Point::new(self.left, y));
            samples.push(Point::new(self.right, y));
            y += spacing;
        }
        samples
    }
}

/// Draws on white: pixels whose centre satisfies `is_black` are black.
fn draw(is_black: impl Fn(Point) -> bool) -> GrayImage {
    GrayImage::from_fn(CANVAS_PX, CANVAS_PX, |x, y| {
        let centre = Point::new(x as f32 + 0.5, y as f32 + 0.5);
        if is_black(centre) { Luma([0]) } else { Luma([255]) }
    })
}

/// Line width of drawn outlines, in pixels.
const OUTLINE_WIDTH_PX: f32 = 3.0;

fn all_points(set: &StrokeSet) -> impl Iterator<Item = Point> + '_ {
    set.strokes.iter().flat_map(|stroke| stroke.points.iter().copied())
}

/// Returns the share of `samples` that have a stroke point within `tolerance` pixels.
fn coverage(set: &StrokeSet, samples: &[Point], tolerance: f32) -> f32 {
    let covered =
        samples.iter().filter(|sample| all_points(set).any(|point| point.distance(**sample) <= tolerance));
    covered.count() as f32 / samples.len() as f32
}

#[test]
fn known_shapes_yield_strokes_on_them_only() {
    // A circle outline and a filled rectangle: the outline gives a line along its centre, the filled
    // shape an edge along its boundary.
    let circle = Circle { centre: Point::new(170.0, 180.0), radius: 110.0 };
    let rectangle = Rectangle { left: 320.0, top: 300.0, right: 460.0, bottom: 440.0 };
    let image =
        draw(|point| circle.edge_distance(point) <= OUTLINE_WIDTH_PX / 2.0 || rectangle.contains(point));

    let set = photo_to_strokes(&png_bytes(&image)).expect("shapes yield strokes");
    assert_eq!((set.width, set.height), (CANVAS_PX, CANVAS_PX));

    // Every point lies on one of the shapes.
    for (index, stroke) in set.strokes.iter().enumerate() {
        for point in &stroke.points {
            let distance = circle.edge_distance(*point).min(rectangle.edge_distance(*point));
            assert!(distance <= 2.0, "stroke {index} has point {point:?} {distance:.2} px from every shape");
        }
    }

    // Both shapes are drawn nearly all the way round.
    let circle_coverage = coverage(&set, &circle.edge_samples(2.0), 2.5);
    assert!(circle_coverage > 0.97, "circle covered {:.1} %", circle_coverage * 100.0);
    let rectangle_coverage = coverage(&set, &rectangle.edge_samples(2.0), 2.5);
    assert!(rectangle_coverage > 0.95, "rectangle covered {:.1} %", rectangle_coverage * 100.0);

    // Each closed shape is one or two strokes, not a scatter of pieces.
    assert!(set.strokes.len() <= 4, "{} strokes for two shapes", set.strokes.len());
}

#[test]
fn outer_contour_is_drawn_first() {
    // A large square frame with a small circle and a few short dashes inside.
    let frame = Rectangle { left: 40.0, top: 40.0, right: 470.0, bottom: 470.0 };
    let eye = Circle { centre: Point::new(200.0, 220.0), radius: 24.0 };
    let dashes = [
        Rectangle { left: 300.0, top: 300.0, right: 310.0, bottom: 303.0 },
        Rectangle { left: 330.0, top: 340.0, right: 340.0, bottom: 343.0 },
        Rectangle { left: 280.0, top: 380.0, right: 290.0, bottom: 383.0 },
    ];
    let image = draw(|point| {
        frame.edge_distance(point) <= OUTLINE_WIDTH_PX / 2.0
            || eye.edge_distance(point) <= OUTLINE_WIDTH_PX / 2.0
            || dashes.iter().any(|dash| dash.contains(point))
    });
    let set = photo_to_strokes(&png_bytes(&image)).expect("frame yields strokes");

    let on_frame =
        |index: usize| set.strokes[index].points.iter().all(|point| frame.edge_distance(*point) <= 2.0);
    let first_inner = (0..set.strokes.len()).find(|&index| !on_frame(index)).expect("inner shapes drawn");
    assert!(first_inner > 0, "the first stroke is not on the frame");
    assert!(
        (first_inner..set.strokes.len()).all(|index| !on_frame(index)),
        "a frame stroke is drawn after an inner shape"
    );
    assert!(set.strokes[..first_inner].iter().all(|stroke| stroke.pass == Pass::Contour));
    assert!(set.strokes[first_inner..].iter().all(|stroke| stroke.pass != Pass::Contour));
}

#[test]
fn passes_are_grouped_in_drawing_order() {
    let set = photo_to_strokes(ASTRONAUT_PNG).expect("sample yields strokes");
    let passes: Vec<Pass> = set.strokes.iter().map(|stroke| stroke.pass).collect();
    assert!(passes.is_sorted(), "passes are interleaved");
    for pass in [Pass::Contour, Pass::Feature, Pass::Detail] {
        assert!(passes.contains(&pass), "no {pass:?} strokes in a portrait");
    }
}

#[test]
fn samples_yield_valid_drawings() {
    for (name, bytes) in [("astronaut", ASTRONAUT_PNG), ("camera", CAMERA_PNG)] {
        let set = photo_to_strokes(bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!((set.width, set.height), (512, 512), "{name}");
        set.validate().unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(set.strokes.len() >= 100, "{name}: only {} strokes", set.strokes.len());
        assert!(set.point_count() <= strokes::DEFAULT_MAX_POINTS, "{name}: over the point budget");

        // Consecutive points are about two pixels apart.
        for stroke in &set.strokes {
            for pair in stroke.points.windows(2) {
                let step = pair[0].distance(pair[1]);
                assert!(step <= 3.0, "{name}: step of {step:.2} px");
            }
        }
    }
}

/// Decodes a sample, maps every grey level through `tone`, and returns it as PNG bytes.
fn retoned(bytes: &[u8], tone: impl Fn(u8) -> u8) -> Vec<u8> {
    let mut gray = image::load_from_memory(bytes).expect("sample decodes").into_luma8();
    for pixel in gray.pixels_mut() {
        pixel[0] = tone(pixel[0]);
    }
    png_bytes(&gray)
}

#[test]
fn bright_and_dark_photos_still_yield_drawings() {
    let normal = photo_to_strokes(ASTRONAUT_PNG).expect("sample yields strokes");
    // Over-exposed: levels squeezed into 224..255. Under-exposed: into 0..31. Without the contrast
    // stretch either keeps only about a seventh of the line.
    let bright =
        photo_to_strokes(&retoned(ASTRONAUT_PNG, |level| 255 - (255 - level) / 8)).expect("bright photo");
    let dark = photo_to_strokes(&retoned(ASTRONAUT_PNG, |level| level / 8)).expect("dark photo");

    for (name, set) in [("bright", &bright), ("dark", &dark)] {
        let ratio = set.total_length() / normal.total_length();
        assert!(
            (0.8..1.25).contains(&ratio),
            "{name}: {:.0} px of line against {:.0} px for the original",
            set.total_length(),
            normal.total_length()
        );
    }
}

#[test]
fn blank_image_yields_no_lines_found() {
    for level in [0, 128, 255] {
        let blank = GrayImage::from_pixel(640, 480, Luma([level]));
        let result = photo_to_strokes(&png_bytes(&blank)).map(|set| set.strokes.len());
        assert!(matches!(result, Err(PhotoError::NoLinesFound)), "level {level}: got {result:?}");
    }
    let error = photo_to_strokes(&png_bytes(&GrayImage::from_pixel(64, 64, Luma([255])))).expect_err("blank");
    assert!(error.to_string().contains("no lines found"), "message: {error}");
}

#[test]
fn noisy_flat_image_yields_no_lines() {
    // A grey wall with ±3 levels of noise: contrast stretching must not turn the noise into lines.
    let mut state = 7u32;
    let noisy = GrayImage::from_fn(640, 480, |_, _| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        Luma([125 + (state >> 29) as u8])
    });
    let result = photo_to_strokes(&png_bytes(&noisy)).map(|set| set.strokes.len());
    assert!(matches!(result, Err(PhotoError::NoLinesFound)), "got {result:?}");
}

#[test]
fn point_budget_drops_detail_first() {
    let full = photo_to_strokes(ASTRONAUT_PNG).expect("sample yields strokes");
    let detail_points: usize = full
        .strokes
        .iter()
        .filter(|stroke| stroke.pass == Pass::Detail)
        .map(|stroke| stroke.points.len())
        .sum();
    assert!(detail_points > 0);

    // A budget that only detail strokes need to give up for.
    let budget = full.point_count() - detail_points / 2;
    let trimmed = photo_to_strokes_with(ASTRONAUT_PNG, &StrokeOptions::default().with_max_points(budget))
        .expect("trimmed set");
    assert!(trimmed.point_count() <= budget);
    let count = |set: &StrokeSet, pass: Pass| set.strokes.iter().filter(|stroke| stroke.pass == pass).count();
    assert_eq!(count(&trimmed, Pass::Contour), count(&full, Pass::Contour));
    assert_eq!(count(&trimmed, Pass::Feature), count(&full, Pass::Feature));
    assert!(count(&trimmed, Pass::Detail) < count(&full, Pass::Detail));
}

#[test]
fn dense_drawing_is_capped_at_default_budget() {
    // Rows of small rings over the top two thirds of a 1024 px canvas: far more line than the budget.
    let mut image = GrayImage::from_pixel(1024, 1024, Luma([255]));
    for centre_y in (8..680).step_by(12) {
        for centre_x in (8..1016).step_by(12) {
            let ring = Circle { centre: Point::new(centre_x as f32, centre_y as f32), radius: 4.0 };
            for y in centre_y - 6..centre_y + 6 {
                for x in centre_x - 6..centre_x + 6 {
                    let pixel_centre = Point::new(x as f32 + 0.5, y as f32 + 0.5);
                    if ring.edge_distance(pixel_centre) <= 0.7 {
                        image.put_pixel(x, y, Luma([0]));
                    }
                }
            }
        }
    }
    let bytes = png_bytes(&image);

    let unlimited = photo_to_strokes_with(&bytes, &StrokeOptions::default().with_max_points(usize::MAX))
        .expect("rings yield strokes");
    assert!(unlimited.point_count() > strokes::DEFAULT_MAX_POINTS, "test image is not dense enough");
    let capped = photo_to_strokes(&bytes).expect("rings yield strokes");
    assert!(capped.point_count() <= strokes::DEFAULT_MAX_POINTS, "{} points", capped.point_count());
    assert!(capped.point_count() > strokes::DEFAULT_MAX_POINTS * 9 / 10, "budget not used");
}

#[test]
fn extraction_is_deterministic() {
    let first = photo_to_strokes(CAMERA_PNG).expect("sample yields strokes");
    let second = photo_to_strokes(CAMERA_PNG).expect("sample yields strokes");
    assert!(first == second, "two runs on the same photo gave different strokes");
}

#[test]
fn serialised_form_round_trips() {
    let set = photo_to_strokes(ASTRONAUT_PNG).expect("sample yields strokes");
    let bytes = set.to_bytes();
    assert!(bytes.len() < MAX_SERIALISED_BYTES);
    let decoded = StrokeSet::from_bytes(&bytes).expect("round trip");
    assert_eq!(decoded, set);
}

#[test]
fn serialised_form_with_other_version_is_rejected() {
    let set = photo_to_strokes(CAMERA_PNG).expect("sample yields strokes");
    let mut bytes = set.to_bytes();
    // The version is written first, and bincode's standard configuration stores a small u16 in one
    // byte.
    assert_eq!(bytes[0], strokes::FORMAT_VERSION as u8);
    bytes[0] = strokes::FORMAT_VERSION as u8 + 1;
    match StrokeSet::from_bytes(&bytes).map(|set| set.strokes.len()) {
        Err(FormatError::UnsupportedVersion { found }) => assert_eq!(found, strokes::FORMAT_VERSION + 1),
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}

#[test]
fn svg_has_one_path_per_stroke() {
    let set = photo_to_strokes(CAMERA_PNG).expect("sample yields strokes");
    let svg = to_svg(&set, Rgb::new(0xfa, 0xf0, 0xe6), Rgb::new(0x20, 0x30, 0x40));
    let document = roxmltree::Document::parse(&svg).expect("SVG is well-formed XML");

    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    assert_eq!(root.attribute("viewBox"), Some("0 0 512 512"));

    let background = root.children().find(|node| node.has_tag_name("rect")).expect("background rectangle");
    assert_eq!(background.attribute("fill"), Some("#faf0e6"));

    let group = root.children().find(|node| node.has_tag_name("g")).expect("stroke group");
    assert_eq!(group.attribute("fill"), Some("none"));
    assert_eq!(group.attribute("stroke"), Some("#203040"));
    assert_eq!(group.attribute("stroke-linecap"), Some("round"));

    let paths: Vec<_> = group.children().filter(|node| node.has_tag_name("path")).collect();
    assert_eq!(paths.len(), set.strokes.len());
    for (path, stroke) in paths.iter().zip(&set.strokes) {
        let data = path.attribute("d").expect("path data");
        assert!(data.starts_with('M'));
        assert_eq!(data.matches('L').count(), stroke.points.len() - 1);
    }
}
