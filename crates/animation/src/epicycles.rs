//! The sampled closed path of each pass and its Fourier series: the data behind the epicycle style.

use std::ops::Range;

use strokes::{Pass, Point};

use crate::fourier::{Complex64, FourierSeries, Term};
use crate::ink::{InkPath, InkPosition};

/// Target distance between samples along pen-down strokes, in frame pixels.
const PEN_DOWN_SPACING_PX: f64 = 1.5;

/// Target distance between samples along pen-up travel, in frame pixels. It is far larger than the
/// pen-down spacing so that travel takes a small share of the series' period.
const TRAVEL_SPACING_PX: f64 = 24.0;

/// Largest number of samples added between the points of pen-down strokes, over all passes. Longer
/// drawings get a wider spacing, which bounds the memory and time of the Fourier transforms.
const MAX_PEN_DOWN_SAMPLES: f64 = 1_000_000.0;

/// Largest number of samples along pen-up travel, closing travel included, over all passes.
const MAX_TRAVEL_SAMPLES: f64 = 100_000.0;

/// Number of circles drawn in the chain: the terms of largest radius of each series.
pub(crate) const VISIBLE_CIRCLES: usize = 100;

/// The strokes of one pass as a closed path sampled by arc length, with its Fourier series.
///
/// The path runs through the pass's strokes in drawing order, with straight pen-up travel from the end
/// of each stroke to the start of the next and from the end of the last back to the start of the
/// first. Every stroke point is a sample, so the polyline through consecutive pen-down samples is
/// exactly the stroke. The frames advance by pen-down length, so travel takes no frame time: between
/// two frames the chain turns past the few travel samples to the next stroke.
#[derive(Debug, Clone)]
pub struct PassPath {
    pass: Pass,
    /// Indices of the path's strokes in the ink path.
    strokes: Range<usize>,
    /// Index of the path's first point in the ink path.
    first_point: usize,
    /// Sample index of each of the path's points, counted from `first_point`.
    point_samples: Vec<usize>,
    samples: Vec<Complex64>,
    series: FourierSeries,
    /// The terms drawn as circles, largest first.
    circles: Vec<Term>,
}

impl PassPath {
    /// Returns the pass of the path's strokes.
    #[must_use]
    pub fn pass(&self) -> Pass {
        self.pass
    }

    /// Returns the samples in frame pixels as `x + iy`, in order along the closed path.
    #[must_use]
    pub fn samples(&self) -> &[Complex64] {
        &self.samples
    }

    /// Returns the complete Fourier series of the samples.
    #[must_use]
    pub fn series(&self) -> &FourierSeries {
        &self.series
    }

    /// Returns the terms drawn as circles, largest radius first.
    #[must_use]
    pub fn circles(&self) -> &[Term] {
        &self.circles
    }

    /// Returns the index of the first ink stroke after the path's strokes.
    pub(crate) fn strokes_end(&self) -> usize {
        self.strokes.end
    }

    /// Returns the sample position (fractional between samples) of an ink position on one of the
    /// path's strokes. Samples are spread evenly along each segment, so the fraction carries over.
    pub(crate) fn sample_position(&self, position: InkPosition) -> f64 {
        let local = position.segment - self.first_point;
        let from = self.point_samples[local] as f64;
        let to = self.point_samples[local + 1] as f64;
        from + (to - from) * position.fraction
    }
}

/// Builds one [`PassPath`] per run of consecutive strokes of the same pass, in drawing order. Strokes
/// grouped by pass, as the photo extractor orders them, give one path per pass.
pub(crate) fn build_pass_paths(ink: &InkPath) -> Vec<PassPath> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < ink.strokes.len() {
        let pass = ink.strokes[start].pass;
        let end = start + ink.strokes[start..].iter().take_while(|stroke| stroke.pass == pass).count();
        runs.push(start..end);
        start = end;
    }

    let spacing = Spacing::for_runs(ink, &runs);
    runs.into_iter().map(|run| build_pass_path(ink, run, spacing)).collect()
}

/// Sample spacing in frame pixels, widened where a drawing would exceed the sample budgets.
#[derive(Debug, Clone, Copy)]
struct Spacing {
    pen_down_px: f64,
    travel_px: f64,
}

impl Spacing {
    fn for_runs(ink: &InkPath, runs: &[Range<usize>]) -> Self {
        let start_of = |stroke: usize| ink.points[ink.strokes[stroke].points.start];
        let end_of = |stroke: usize| ink.points[ink.strokes[stroke].points.end - 1];

        // Travel inside each closed path: between its strokes, then from its end back to its start.
        let travel_px: f64 = runs
            .iter()
            .map(|run| {
                let between: f64 = (run.start + 1..run.end)
                    .map(|stroke| f64::from(end_of(stroke - 1).distance(start_of(stroke))))
                    .sum();
                between + f64::from(end_of(run.end - 1).distance(start_of(run.start)))
            })
            .sum();
        Self {
            pen_down_px: PEN_DOWN_SPACING_PX.max(ink.total_length_px() / MAX_PEN_DOWN_SAMPLES),
            travel_px: TRAVEL_SPACING_PX.max(travel_px / MAX_TRAVEL_SAMPLES),
        }
    }
}

fn build_pass_path(ink: &InkPath, strokes: Range<usize>, spacing: Spacing) -> PassPath {
    let first_point = ink.strokes[strokes.start].points.start;
    let end_point = ink.strokes[strokes.end - 1].points.end;
    let mut samples = Vec::new();
    let mut point_samples = Vec::with_capacity(end_point - first_point);

    for stroke in strokes.clone() {
        let points = &ink.points[ink.strokes[stroke].points.clone()];
        if let Some(&previous) = samples.last() {
            push_between(&mut samples, previous, to_complex(points[0]), spacing.travel_px);
        }
        for (index, &point) in points.iter().enumerate() {
            point_samples.push(samples.len());
            samples.push(to_complex(point));
            if let Some(&next) = points.get(index + 1) {
                push_between(&mut samples, to_complex(point), to_complex(next), spacing.pen_down_px);
            }
        }
    }
    // Close the path: travel from the end of the last stroke back to the start of the first.
    let (last, first) = (samples[samples.len() - 1], samples[0]);
    push_between(&mut samples, last, first, spacing.travel_px);

    let series = FourierSeries::from_samples(&samples);
    let circles = series.largest_terms(VISIBLE_CIRCLES);
    PassPath {
        pass: ink.strokes[strokes.start].pass,
        strokes,
        first_point,
        point_samples,
        samples,
        series,
        circles,
    }
}

/// Pushes the evenly spaced samples strictly between `from` and `to`, at most `spacing_px` apart.
fn push_between(samples: &mut Vec<Complex64>, from: Complex64, to: Complex64, spacing_px: f64) {
    let pieces = ((to - from).norm() / spacing_px).ceil().max(1.0) as usize;
    let step = (to - from) / pieces as f64;
    samples.extend((1..pieces).map(|index| from + step * index as f64));
}

fn to_complex(point: Point) -> Complex64 {
    Complex64::new(f64::from(point.x), f64::from(point.y))
}
