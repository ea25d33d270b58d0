//! Validation of the animation spec and of the stroke set, and the style names.

mod common;

use animation::{
    Animation, AnimationError, AnimationSpec, HOLD_FRAMES, HOLD_MS, MAX_DURATION_MS, MAX_SIDE_PX,
    MAX_STROKE_POINTS, MIN_DURATION_MS, MIN_SIDE_PX, Pass, Point, Stroke, StrokeSet, Style,
};
use common::{separated_shapes, spec};

#[test]
fn limits_have_documented_values() {
    assert_eq!(MIN_SIDE_PX, 240);
    assert_eq!(MAX_SIDE_PX, 1_920);
    assert_eq!(MIN_DURATION_MS, 5_000);
    assert_eq!(MAX_DURATION_MS, 30_000);
    assert_eq!(HOLD_MS, 1_500);
    assert_eq!(HOLD_FRAMES, 45);
    assert_eq!(MAX_STROKE_POINTS, 500_000);
}

#[test]
fn validate_accepts_supported_sizes() {
    for (width, height) in [(720, 720), (1080, 1080), (1080, 1920), (1920, 1080), (240, 240), (1920, 1920)] {
        let result = spec(Style::Epicycles, width, height, 10_000).validate();
        assert!(result.is_ok(), "{width}x{height}: {result:?}");
    }
}

#[test]
fn validate_rejects_odd_side() {
    let error = spec(Style::Pen, 721, 720, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::OddSide { side: "width", value_px: 721 }), "{error:?}");
    assert_eq!(error.to_string(), "frame width is 721 px, which is odd; width and height must be even");

    let error = spec(Style::Pen, 720, 1079, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::OddSide { side: "height", value_px: 1079 }), "{error:?}");
}

#[test]
fn validate_rejects_side_below_minimum() {
    let error = spec(Style::Pen, 238, 720, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::SideOutOfRange { side: "width", value_px: 238 }), "{error:?}");
    assert_eq!(error.to_string(), "frame width is 238 px; it must be between 240 and 1920 px");

    let error = spec(Style::Pen, 720, 0, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::SideOutOfRange { side: "height", value_px: 0 }), "{error:?}");
}

#[test]
fn validate_rejects_side_above_maximum() {
    let error = spec(Style::Pen, 1_922, 1_080, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::SideOutOfRange { side: "width", value_px: 1_922 }), "{error:?}");

    let error = spec(Style::Pen, 1_080, 3_840, 10_000).validate().unwrap_err();
    assert!(matches!(error, AnimationError::SideOutOfRange { side: "height", value_px: 3_840 }), "{error:?}");
    assert_eq!(error.to_string(), "frame height is 3840 px; it must be between 240 and 1920 px");
}

#[test]
fn validate_checks_duration_range() {
    for duration_ms in [MIN_DURATION_MS, 12_345, MAX_DURATION_MS] {
        assert!(spec(Style::Pen, 720, 720, duration_ms).validate().is_ok(), "{duration_ms} ms rejected");
    }
    for duration_ms in [0, MIN_DURATION_MS - 1, MAX_DURATION_MS + 1, u32::MAX] {
        let error = spec(Style::Pen, 720, 720, duration_ms).validate().unwrap_err();
        assert!(
            matches!(error, AnimationError::DurationOutOfRange { duration_ms: found } if found == duration_ms)
        );
    }
    let error = spec(Style::Pen, 720, 720, 4_999).validate().unwrap_err();
    assert_eq!(error.to_string(), "duration is 4999 ms; it must be between 5000 and 30000 ms");
}

#[test]
fn animation_new_validates_spec() {
    let result = Animation::new(&separated_shapes(), &spec(Style::Epicycles, 720, 721, 10_000));
    assert!(matches!(result, Err(AnimationError::OddSide { .. })), "{:?}", result.err());
}

#[test]
fn animation_new_rejects_empty_stroke_set() {
    let empty = StrokeSet { width: 100, height: 100, strokes: Vec::new() };
    let result = Animation::new(&empty, &spec(Style::Pen, 720, 720, 10_000));
    assert!(matches!(result, Err(AnimationError::NothingToDraw)), "{:?}", result.err());

    let dot = Stroke { pass: Pass::Detail, points: vec![Point::new(5.0, 5.0), Point::new(5.0, 5.0)] };
    let only_dots = StrokeSet { width: 100, height: 100, strokes: vec![dot] };
    let result = Animation::new(&only_dots, &spec(Style::Epicycles, 720, 720, 10_000));
    assert!(matches!(result, Err(AnimationError::NothingToDraw)), "{:?}", result.err());
}

#[test]
fn animation_new_rejects_invalid_strokes() {
    let outside = Stroke { pass: Pass::Contour, points: vec![Point::new(5.0, 5.0), Point::new(150.0, 5.0)] };
    let set = StrokeSet { width: 100, height: 100, strokes: vec![outside] };
    let result = Animation::new(&set, &spec(Style::Pen, 720, 720, 10_000));
    assert!(matches!(result, Err(AnimationError::InvalidStrokes(_))), "{:?}", result.err());

    let not_finite =
        Stroke { pass: Pass::Contour, points: vec![Point::new(5.0, 5.0), Point::new(f32::NAN, 5.0)] };
    let set = StrokeSet { width: 100, height: 100, strokes: vec![not_finite] };
    let result = Animation::new(&set, &spec(Style::Epicycles, 720, 720, 10_000));
    assert!(matches!(result, Err(AnimationError::InvalidStrokes(_))), "{:?}", result.err());
}

#[test]
fn animation_new_rejects_too_many_points() {
    let points: Vec<Point> =
        (0..=MAX_STROKE_POINTS).map(|index| Point::new((index % 100) as f32, 50.0)).collect();
    let set = StrokeSet { width: 100, height: 100, strokes: vec![Stroke { pass: Pass::Detail, points }] };
    let error = Animation::new(&set, &spec(Style::Pen, 720, 720, 10_000)).unwrap_err();
    assert!(matches!(error, AnimationError::TooManyPoints { points } if points == MAX_STROKE_POINTS + 1));
    assert_eq!(error.to_string(), "stroke set has 500001 points; the limit is 500000 points");
}

#[test]
fn style_parses_its_names() {
    assert_eq!("epicycles".parse::<Style>().unwrap(), Style::Epicycles);
    assert_eq!("pen".parse::<Style>().unwrap(), Style::Pen);
    assert_eq!(Style::Epicycles.to_string(), "epicycles");
    assert_eq!(Style::Pen.to_string(), "pen");

    let error = "Pen".parse::<Style>().unwrap_err();
    assert_eq!(error.to_string(), "unknown animation style \"Pen\"; expected \"epicycles\" or \"pen\"");
}

#[test]
fn spec_serialises_style_in_lowercase() {
    let spec: AnimationSpec = spec(Style::Epicycles, 1080, 1920, 20_000);
    let json = serde_json::to_string(&spec).unwrap();
    assert!(json.contains(r#""style":"epicycles""#), "{json}");
    let back: AnimationSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
}
