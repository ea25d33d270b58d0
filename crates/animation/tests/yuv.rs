//! RGB to BT.601 limited-range YUV 4:2:0.

mod common;

use animation::yuv::{rgb_to_yuv420, rgba_to_yuv420};
use animation::{Animation, Rgb, Style};
use common::{separated_shapes, spec};

/// BT.601 limited range in floating point: Y in 16..=235, Cb and Cr in 16..=240.
fn reference(rgb: Rgb) -> (f64, f64, f64) {
    let (r, g, b) = (f64::from(rgb.r) / 255.0, f64::from(rgb.g) / 255.0, f64::from(rgb.b) / 255.0);
    let y = 16.0 + 65.481 * r + 128.553 * g + 24.966 * b;
    let u = 128.0 - 37.797 * r - 74.203 * g + 112.0 * b;
    let v = 128.0 + 112.0 * r - 93.786 * g - 18.214 * b;
    (y, u, v)
}

/// Converts a flat 4×2 image of one colour and returns its first Y, U and V values.
fn convert_flat(colour: Rgb) -> (u8, u8, u8) {
    let rgba: Vec<u8> = (0..8).flat_map(|_| [colour.r, colour.g, colour.b, 255]).collect();
    let (mut y, mut u, mut v) = ([0; 8], [0; 2], [0; 2]);
    rgba_to_yuv420(4, 2, &rgba, &mut y, &mut u, &mut v);
    assert!(y.iter().all(|&value| value == y[0]), "flat luma varies: {y:?}");
    assert_eq!(u[0], u[1]);
    assert_eq!(v[0], v[1]);
    (y[0], u[0], v[0])
}

fn assert_within_one(actual: u8, expected: f64, what: &str) {
    assert!((f64::from(actual) - expected).abs() <= 1.0, "{what} is {actual}, expected {expected:.2}");
}

#[test]
fn black_and_white_hit_luma_limits() {
    assert_eq!(convert_flat(Rgb::WHITE), (235, 128, 128));
    assert_eq!(convert_flat(Rgb::BLACK), (16, 128, 128));
}

#[test]
fn known_colours_match_bt601_formula() {
    let colours = [
        Rgb::new(255, 0, 0),
        Rgb::new(0, 255, 0),
        Rgb::new(0, 0, 255),
        Rgb::new(128, 128, 128),
        Rgb::new(255, 255, 0),
        Rgb::new(10, 200, 90),
        Rgb::new(250, 246, 238),
        Rgb::new(30, 40, 70),
    ];
    for colour in colours {
        let (y, u, v) = convert_flat(colour);
        let (expected_y, expected_u, expected_v) = reference(colour);
        assert_within_one(y, expected_y, &format!("Y of {colour:?}"));
        assert_within_one(u, expected_u, &format!("U of {colour:?}"));
        assert_within_one(v, expected_v, &format!("V of {colour:?}"));
    }
    // Pure red: chroma reaches its maximum.
    assert_eq!(convert_flat(Rgb::new(255, 0, 0)).2, 240);
    assert_eq!(convert_flat(Rgb::new(0, 0, 255)).1, 240);
}

#[test]
fn chroma_averages_each_2x2_block() {
    // Left block: red, blue (top) and white, black (bottom). Right block: all green.
    let red = [255, 0, 0, 255];
    let blue = [0, 0, 255, 255];
    let white = [255, 255, 255, 255];
    let black = [0, 0, 0, 255];
    let green = [0, 255, 0, 255];
    let rgba = [red, blue, green, green, white, black, green, green].concat();
    let (mut y, mut u, mut v) = ([0; 8], [0; 2], [0; 2]);
    rgba_to_yuv420(4, 2, &rgba, &mut y, &mut u, &mut v);

    let average = Rgb::new(128, 64, 128); // (255 + 0 + 255 + 0) / 4 = 127.5 and so on
    let (_, expected_u, expected_v) = reference(average);
    assert_within_one(u[0], expected_u, "U of the mixed block");
    assert_within_one(v[0], expected_v, "V of the mixed block");
    let (expected_y_red, _, _) = reference(Rgb::new(255, 0, 0));
    assert_within_one(y[0], expected_y_red, "Y of the red pixel");
    assert_eq!(y[5], 16, "Y of the black pixel");
    let (_, green_u, green_v) = reference(Rgb::new(0, 255, 0));
    assert_within_one(u[1], green_u, "U of the green block");
    assert_within_one(v[1], green_v, "V of the green block");
}

#[test]
fn frame_converts_to_planes_of_its_size() {
    let spec =
        animation::AnimationSpec { background: Rgb::new(12, 80, 160), ..spec(Style::Pen, 480, 240, 5_000) };
    let animation = Animation::new(&separated_shapes(), &spec).unwrap();
    let frame = animation.renderer().next_frame().unwrap().clone();
    let (mut y, mut u, mut v) = (vec![0; 480 * 240], vec![0; 240 * 120], vec![0; 240 * 120]);
    rgb_to_yuv420(&frame, &mut y, &mut u, &mut v);

    // The first frame is blank paper, so every plane is flat.
    let (expected_y, expected_u, expected_v) = reference(spec.background);
    for (plane, expected, name) in [(&y, expected_y, "Y"), (&u, expected_u, "U"), (&v, expected_v, "V")] {
        assert!(plane.iter().all(|&value| value == plane[0]), "{name} plane of a blank frame varies");
        assert_within_one(plane[0], expected, name);
    }
}

#[test]
#[should_panic(expected = "U plane length")]
fn wrong_plane_length_panics() {
    let rgba = [0; 4 * 4 * 2];
    let (mut y, mut u, mut v) = ([0; 8], [0; 3], [0; 2]);
    rgba_to_yuv420(4, 2, &rgba, &mut y, &mut u, &mut v);
}

#[test]
#[should_panic(expected = "must be even")]
fn odd_size_panics() {
    let rgba = [0; 3 * 2 * 4];
    let (mut y, mut u, mut v) = ([0; 6], [0; 1], [0; 1]);
    rgba_to_yuv420(3, 2, &rgba, &mut y, &mut u, &mut v);
}
