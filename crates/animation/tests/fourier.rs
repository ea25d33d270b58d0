//! The Fourier series behind the epicycles: exact reconstruction, one path per pass, circle sizes.

mod common;

use animation::fourier::{Complex64, FourierSeries};
use animation::{Animation, Pass, Style};
use common::{separated_shapes, spec};

fn max_distance(a: &[Complex64], b: &[Complex64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max)
}

#[test]
fn one_pass_path_per_pass_in_drawing_order() {
    let animation = Animation::new(&separated_shapes(), &spec(Style::Epicycles, 720, 720, 10_000)).unwrap();
    let passes: Vec<Pass> = animation.pass_paths().iter().map(|path| path.pass()).collect();
    assert_eq!(passes, [Pass::Contour, Pass::Feature, Pass::Detail]);

    let pen = Animation::new(&separated_shapes(), &spec(Style::Pen, 720, 720, 10_000)).unwrap();
    assert!(pen.pass_paths().is_empty(), "the pen style computes no series");
}

#[test]
fn series_reconstructs_pass_samples() {
    let animation = Animation::new(&separated_shapes(), &spec(Style::Epicycles, 1080, 1080, 10_000)).unwrap();
    for path in animation.pass_paths() {
        let samples = path.samples();
        assert_eq!(path.series().len(), samples.len());

        let error_px = max_distance(&path.series().reconstruct(), samples);
        assert!(error_px < 0.01, "{:?}: inverse FFT is {error_px} px off the samples", path.pass());

        // The direct sum of all terms, as the chain adds them, reaches the same points.
        for index in (0..samples.len()).step_by(samples.len() / 20 + 1) {
            let error_px = (path.series().evaluate(index as f64) - samples[index]).norm();
            assert!(error_px < 0.01, "{:?}: the series at sample {index} is {error_px} px off", path.pass());
        }
    }
}

#[test]
fn samples_contain_every_stroke_point() {
    let set = separated_shapes();
    let animation = Animation::new(&set, &spec(Style::Epicycles, 720, 720, 10_000)).unwrap();
    let fit = animation.fit();
    for stroke in &set.strokes {
        let path = animation.pass_paths().iter().find(|path| path.pass() == stroke.pass).unwrap();
        for &point in &stroke.points {
            let mapped = fit.map(point);
            let expected = Complex64::new(f64::from(mapped.x), f64::from(mapped.y));
            let nearest =
                path.samples().iter().map(|sample| (sample - expected).norm()).fold(f64::MAX, f64::min);
            assert!(nearest < 1e-3, "{:?} point {point:?} is {nearest} px from every sample", stroke.pass);
        }
    }
}

#[test]
fn pen_down_sample_spacing() {
    let set = separated_shapes();
    let animation = Animation::new(&set, &spec(Style::Epicycles, 1080, 1080, 10_000)).unwrap();
    let contour = &animation.pass_paths()[0];
    // The first contour stroke, a circle of 72 segments, opens the path.
    let circle_samples = &contour.samples()[..200];
    for pair in circle_samples.windows(2) {
        let gap_px = (pair[1] - pair[0]).norm();
        assert!(gap_px <= 1.5 + 1e-6, "samples {gap_px} px apart on the circle");
        assert!(gap_px >= 0.5, "samples only {gap_px} px apart on the circle");
    }
}

#[test]
fn circle_has_one_dominant_term() {
    // A circle of radius 100 around (300, 200), traced once counter-clockwise in image coordinates.
    let count = 512;
    let samples: Vec<Complex64> = (0..count)
        .map(|index| {
            let angle = index as f64 / count as f64 * std::f64::consts::TAU;
            Complex64::new(300.0, 200.0) + Complex64::from_polar(100.0, angle)
        })
        .collect();
    let series = FourierSeries::from_samples(&samples);

    assert!((series.centre() - Complex64::new(300.0, 200.0)).norm() < 1e-9);
    let terms = series.largest_terms(3);
    assert_eq!(terms[0].frequency, 1);
    assert!((terms[0].radius() - 100.0).abs() < 1e-9, "radius {}", terms[0].radius());
    assert!(terms[1].radius() < 1e-9, "second term radius {}", terms[1].radius());

    // Half-way between two samples the dominant term is still on the circle.
    let value = series.centre() + terms[0].at(10.5, count);
    assert!(((value - series.centre()).norm() - 100.0).abs() < 1e-9);
}

#[test]
fn largest_terms_are_sorted_by_radius() {
    let animation = Animation::new(&separated_shapes(), &spec(Style::Epicycles, 720, 720, 10_000)).unwrap();
    for path in animation.pass_paths() {
        let circles = path.circles();
        assert_eq!(circles.len(), 100.min(path.series().len() - 1), "{:?}", path.pass());
        for pair in circles.windows(2) {
            assert!(pair[0].radius() >= pair[1].radius(), "{:?}: circles out of order", path.pass());
        }
        let half = path.series().len() as i64 / 2;
        assert!(circles.iter().all(|term| term.frequency != 0 && term.frequency.abs() <= half));
    }
}
