//! Frames of whole animations of synthetic shapes: timing, hold, ink placement, progress, overlays.

mod common;

use animation::{Animation, HOLD_FRAMES, Pass, Point, Rgb, Stroke, StrokeSet, Style};
use common::*;

const STYLES: [Style; 2] = [Style::Epicycles, Style::Pen];

#[test]
fn frame_count_rounds_duration_at_30_fps() {
    let set = separated_shapes();
    let cases = [(5_000, 150), (5_016, 150), (5_017, 151), (12_345, 370), (20_000, 600), (30_000, 900)];
    for (duration_ms, expected) in cases {
        let animation = Animation::new(&set, &spec(Style::Pen, 240, 240, duration_ms)).unwrap();
        assert_eq!(animation.frame_count(), expected, "frame count for {duration_ms} ms");
        assert_eq!(
            animation.drawing_frame_count(),
            expected - HOLD_FRAMES,
            "drawing frames for {duration_ms} ms"
        );
    }
}

#[test]
fn renderer_yields_exactly_frame_count_frames() {
    let set = separated_shapes();
    for (style, duration_ms) in [(Style::Epicycles, 5_017), (Style::Pen, 7_500)] {
        let animation = Animation::new(&set, &spec(style, 240, 240, duration_ms)).unwrap();
        let mut renderer = animation.renderer();
        let mut rendered = 0;
        while let Some(frame) = renderer.next_frame() {
            assert_eq!((frame.width(), frame.height()), (240, 240));
            rendered += 1;
        }
        assert_eq!(rendered, animation.frame_count(), "{style} frames rendered");
        assert!(renderer.next_frame().is_none(), "{style} renderer restarted after the last frame");
    }
}

#[test]
fn first_frame_is_background_only() {
    let set = separated_shapes();
    for style in STYLES {
        let spec = spec(style, 480, 480, 5_000);
        let animation = Animation::new(&set, &spec).unwrap();
        let mut renderer = animation.renderer();
        let first = renderer.next_frame().unwrap();
        let drawn = pixels(first).into_iter().filter(|&pixel| pixel != spec.background).count();
        assert_eq!(drawn, 0, "{style}: pixels other than the background in the first frame");
    }
}

#[test]
fn hold_frames_equal_final_frame() {
    let set = separated_shapes();
    for style in STYLES {
        let animation = Animation::new(&set, &spec(style, 480, 480, 5_000)).unwrap();
        let final_frame = animation.render_final();
        let hold_start = animation.drawing_frame_count();
        assert_eq!(animation.frame_count() - hold_start, HOLD_FRAMES, "{style} hold length");

        let mut renderer = animation.renderer();
        loop {
            let index = renderer.next_index();
            let Some(frame) = renderer.next_frame() else { break };
            if index >= hold_start {
                assert!(*frame == final_frame, "{style}: hold frame {index} differs from the final frame");
            } else if index + 10 < hold_start {
                assert!(
                    *frame != final_frame,
                    "{style}: drawing frame {index} already shows the final frame"
                );
            }
        }
    }
}

#[test]
fn final_frame_ink_stays_on_strokes() {
    let set = separated_shapes();
    for style in STYLES {
        let spec = spec(style, 720, 720, 5_000);
        let animation = Animation::new(&set, &spec).unwrap();
        let tolerance_px = animation.line_width_px() + 1.5;
        let near = near_strokes(&set, &animation.fit(), 720, 720, tolerance_px);

        let final_frame = animation.render_final();
        let stray: Vec<usize> = pixels(&final_frame)
            .into_iter()
            .enumerate()
            .filter(|&(index, pixel)| is_drawn(pixel, spec.background) && !near[index])
            .map(|(index, _)| index)
            .collect();
        assert!(
            stray.is_empty(),
            "{style}: {} drawn pixels farther than {tolerance_px} px from every stroke, first at ({}, {})",
            stray.len(),
            stray.first().map_or(0, |index| index % 720),
            stray.first().map_or(0, |index| index / 720),
        );
    }
}

#[test]
fn final_frame_covers_strokes() {
    let set = separated_shapes();
    for style in STYLES {
        let spec = spec(style, 720, 720, 5_000);
        let animation = Animation::new(&set, &spec).unwrap();
        let radius_px = animation.line_width_px() / 2.0 + 1.0;
        let final_frame = animation.render_final();

        let samples = points_along_strokes(&set, &animation.fit(), 2.0);
        let inked =
            samples.iter().filter(|&&point| has_ink_near(&final_frame, &spec, point, radius_px)).count();
        let share = inked as f64 / samples.len() as f64;
        assert!(
            share >= 0.98,
            "{style}: only {inked} of {} stroke samples have ink within {radius_px} px",
            samples.len()
        );
    }
}

#[test]
fn last_rendered_frame_matches_render_final() {
    let set = separated_shapes();
    for style in STYLES {
        let animation = Animation::new(&set, &spec(style, 480, 480, 5_000)).unwrap();
        let last = render_frames(&animation, &[animation.frame_count() - 1]).remove(0);
        assert!(last == animation.render_final(), "{style}: last frame differs from render_final");
    }
}

#[test]
fn ink_grows_linearly_with_frames() {
    let set = separated_shapes();
    for style in STYLES {
        let spec = spec(style, 720, 720, 6_000);
        let animation = Animation::new(&set, &spec).unwrap();
        let last_drawing_frame = animation.drawing_frame_count() - 1;
        let fractions = [0.25, 0.5, 0.75];
        let indices: Vec<u32> = fractions
            .iter()
            .map(|fraction| (fraction * f64::from(last_drawing_frame)).round() as u32)
            .collect();

        let frames = render_frames(&animation, &indices);
        let final_ink = solid_ink_pixels(&animation.render_final(), &spec) as f64;
        for ((fraction, index), frame) in fractions.iter().zip(&indices).zip(&frames) {
            let share = solid_ink_pixels(frame, &spec) as f64 / final_ink;
            assert!(
                (share - fraction).abs() <= 0.08,
                "{style}: frame {index} ({fraction} of the drawing frames) shows {share:.3} of the final ink"
            );
        }
    }
}

#[test]
fn drawn_length_is_spread_evenly() {
    let set = separated_shapes();
    let animation = Animation::new(&set, &spec(Style::Epicycles, 480, 480, 10_000)).unwrap();
    let last_drawing_frame = animation.drawing_frame_count() - 1;
    let step_px = animation.total_length_px() / f64::from(last_drawing_frame);

    assert_eq!(animation.drawn_length_px(0), 0.0);
    for index in 1..=last_drawing_frame {
        let step = animation.drawn_length_px(index) - animation.drawn_length_px(index - 1);
        assert!((step - step_px).abs() < 1e-6, "frame {index} draws {step} px, expected {step_px} px");
    }
    assert_eq!(animation.drawn_length_px(animation.frame_count() - 1), animation.total_length_px());
}

#[test]
fn epicycle_circles_appear_off_strokes_in_mid_frames() {
    let set = separated_shapes();
    let spec = spec(Style::Epicycles, 720, 720, 5_000);
    let animation = Animation::new(&set, &spec).unwrap();
    let near = near_strokes(&set, &animation.fit(), 720, 720, animation.line_width_px() + 1.5);
    let count_off_strokes = |frame: &animation::Frame| {
        pixels(frame)
            .into_iter()
            .zip(&near)
            .filter(|&(pixel, &is_near)| is_drawn(pixel, spec.background) && !is_near)
            .count()
    };

    let middle = animation.drawing_frame_count() / 2;
    let frames = render_frames(&animation, &[middle / 2, middle, middle * 3 / 2]);
    for (frame, index) in frames.iter().zip([middle / 2, middle, middle * 3 / 2]) {
        let off_strokes = count_off_strokes(frame);
        assert!(
            off_strokes > 500,
            "frame {index}: only {off_strokes} pixels off the strokes; expected circles"
        );
    }
    assert_eq!(count_off_strokes(&animation.render_final()), 0, "circles left in the final frame");
}

#[test]
fn pen_tip_marker_appears_at_pen_position() {
    let set = separated_shapes();
    let spec = spec(Style::Pen, 1080, 1080, 5_000);
    let animation = Animation::new(&set, &spec).unwrap();
    let index = animation.drawing_frame_count() / 2;
    let frame = render_frames(&animation, &[index]).remove(0);
    let tip = point_at_length(&set, &animation.fit(), animation.drawn_length_px(index));

    // The marker's translucent fill lies around the tip, also beside the ink line, which crosses the
    // ring of probe points at most twice.
    let radius_px = 2.0 * animation.line_width_px();
    let count_translucent = |frame: &animation::Frame| {
        (0..16)
            .map(|step| {
                let angle = step as f32 / 16.0 * std::f32::consts::TAU;
                Point::new(tip.x + radius_px * angle.cos(), tip.y + radius_px * angle.sin())
            })
            .filter(|point| {
                let pixel = frame.pixel(point.x as u32, point.y as u32).unwrap();
                (0.15..0.6).contains(&sketch_share(pixel, spec.background, spec.sketch))
            })
            .count()
    };
    let translucent = count_translucent(&frame);
    assert!(translucent >= 10, "only {translucent} of 16 pixels around the pen tip show the marker's fill");
    let left_over = count_translucent(&animation.render_final());
    assert!(
        left_over <= 4,
        "{left_over} of 16 pixels around the pen tip stay translucent in the final frame"
    );
}

#[test]
fn colours_appear_as_chosen() {
    let set = separated_shapes();
    let background = Rgb::new(12, 80, 160);
    let sketch = Rgb::new(250, 200, 40);
    for style in STYLES {
        let spec = animation::AnimationSpec { background, sketch, ..spec(style, 1080, 1080, 5_000) };
        let animation = Animation::new(&set, &spec).unwrap();
        let final_frame = animation.render_final();
        let colours = pixels(&final_frame);

        assert_eq!(final_frame.pixel(0, 0), Some(background), "{style}: corner pixel");
        let background_share =
            colours.iter().filter(|&&pixel| pixel == background).count() as f64 / colours.len() as f64;
        assert!(background_share > 0.9, "{style}: only {background_share:.3} of the pixels are background");
        let solid_ink = colours.iter().filter(|&&pixel| pixel == sketch).count();
        assert!(solid_ink > 1_000, "{style}: only {solid_ink} pixels have exactly the sketch colour");
    }
}

#[test]
fn frame_rgb_matches_rgba() {
    let set = separated_shapes();
    let animation = Animation::new(&set, &spec(Style::Pen, 240, 240, 5_000)).unwrap();
    let frame = animation.render_final();
    let rgb = frame.to_rgb();

    assert_eq!(rgb.len(), 240 * 240 * 3);
    for (rgb_pixel, rgba_pixel) in rgb.chunks_exact(3).zip(frame.rgba().chunks_exact(4)) {
        assert_eq!(rgb_pixel, &rgba_pixel[..3]);
        assert_eq!(rgba_pixel[3], 255, "frames are opaque");
    }
}

#[test]
fn zero_length_stroke_is_drawn_as_dot() {
    let line = Stroke { pass: Pass::Contour, points: vec![Point::new(10.0, 10.0), Point::new(90.0, 10.0)] };
    let dot = Stroke { pass: Pass::Detail, points: vec![Point::new(50.0, 80.0), Point::new(50.0, 80.0)] };
    let set = StrokeSet { width: 100, height: 100, strokes: vec![line, dot] };
    for style in STYLES {
        let spec = spec(style, 1080, 1080, 5_000);
        let animation = Animation::new(&set, &spec).unwrap();
        let centre = animation.fit().map(Point::new(50.0, 80.0));
        assert!(has_ink_near(&animation.render_final(), &spec, centre, 1.0), "{style}: no dot at {centre:?}");
    }
}

#[test]
fn strokes_are_centred_with_margin() {
    let set = separated_shapes();
    let animation = Animation::new(&set, &spec(Style::Pen, 1080, 1920, 5_000)).unwrap();
    let fit = animation.fit();

    // The 1000×700 canvas fills the width less a 6 % margin (of the short side) on each side.
    let margin_px = 0.06 * 1080.0;
    let top_left = fit.map(Point::new(0.0, 0.0));
    let bottom_right = fit.map(Point::new(1000.0, 700.0));
    assert!((top_left.x - margin_px).abs() < 0.01, "left edge at {}", top_left.x);
    assert!((bottom_right.x - (1080.0 - margin_px)).abs() < 0.01, "right edge at {}", bottom_right.x);
    assert!(((top_left.y + bottom_right.y) / 2.0 - 960.0).abs() < 0.01, "vertical centre");
    let aspect = (bottom_right.x - top_left.x) / (bottom_right.y - top_left.y);
    assert!((aspect - 1000.0 / 700.0).abs() < 1e-4, "aspect ratio {aspect}");
}
