//! The strokes in frame pixels, measured by pen-down length, and the pieces of ink between two lengths.

use std::ops::Range;

use strokes::{Pass, Point, StrokeSet};
use tiny_skia::PathBuilder;

use crate::fit::Fit;

/// One stroke of an [`InkPath`]: its points and its pass.
#[derive(Debug, Clone)]
pub(crate) struct InkStroke {
    /// Indices of the stroke's points in [`InkPath::points`] (at least two).
    pub(crate) points: Range<usize>,
    pub(crate) pass: Pass,
}

/// A position on the ink: on stroke `stroke`, `fraction` of the way along the segment from point
/// `segment` to point `segment + 1` (indices into [`InkPath::points`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct InkPosition {
    pub(crate) stroke: usize,
    pub(crate) segment: usize,
    pub(crate) fraction: f64,
}

/// All strokes of a set mapped to frame pixels, with the pen-down length up to each point.
#[derive(Debug, Clone)]
pub(crate) struct InkPath {
    /// Points of all strokes in drawing order, in frame pixels.
    pub(crate) points: Vec<Point>,
    /// Pen-down length from the start of the first stroke to each point, in frame pixels; pen-up
    /// travel between strokes adds nothing.
    pub(crate) lengths_px: Vec<f64>,
    pub(crate) strokes: Vec<InkStroke>,
}

impl InkPath {
    /// Maps the strokes of a validated set (each of at least two points) to frame pixels.
    pub(crate) fn new(set: &StrokeSet, fit: &Fit) -> Self {
        let point_count = set.point_count();
        let mut points = Vec::with_capacity(point_count);
        let mut lengths_px = Vec::with_capacity(point_count);
        let mut strokes = Vec::with_capacity(set.strokes.len());
        let mut length_px = 0.0_f64;

        for stroke in &set.strokes {
            let start = points.len();
            for (index, &point) in stroke.points.iter().enumerate() {
                let mapped = fit.map(point);
                if index > 0 {
                    length_px += f64::from(mapped.distance(points[points.len() - 1]));
                }
                points.push(mapped);
                lengths_px.push(length_px);
            }
            strokes.push(InkStroke { points: start..points.len(), pass: stroke.pass });
        }
        Self { points, lengths_px, strokes }
    }

    /// Returns the summed pen-down length of all strokes in frame pixels.
    pub(crate) fn total_length_px(&self) -> f64 {
        self.lengths_px.last().copied().unwrap_or(0.0)
    }

    fn stroke_start_px(&self, stroke: usize) -> f64 {
        self.lengths_px[self.strokes[stroke].points.start]
    }

    fn stroke_end_px(&self, stroke: usize) -> f64 {
        self.lengths_px[self.strokes[stroke].points.end - 1]
    }

    /// Returns the position at pen-down length `length_px`. Where one stroke ends and the next begins
    /// at the same length, it returns the end of the earlier stroke: the point just drawn.
    pub(crate) fn locate(&self, length_px: f64) -> InkPosition {
        let stroke = self
            .strokes
            .partition_point(|candidate| self.lengths_px[candidate.points.end - 1] < length_px)
            .min(self.strokes.len() - 1);
        self.locate_in_stroke(stroke, length_px)
    }

    fn locate_in_stroke(&self, stroke: usize, length_px: f64) -> InkPosition {
        let range = self.strokes[stroke].points.clone();
        // The segment from point `segment` to `segment + 1` is the first whose end reaches the length.
        let ends = &self.lengths_px[range.start + 1..range.end];
        let segment = range.start + ends.partition_point(|&end| end < length_px).min(ends.len() - 1);

        let segment_length = self.lengths_px[segment + 1] - self.lengths_px[segment];
        let fraction = if segment_length > 0.0 {
            ((length_px - self.lengths_px[segment]) / segment_length).clamp(0.0, 1.0)
        } else {
            0.0
        };
        InkPosition { stroke, segment, fraction }
    }

    /// Returns the point at a position, in frame pixels.
    pub(crate) fn point_at(&self, position: InkPosition) -> Point {
        let from = self.points[position.segment];
        let to = self.points[position.segment + 1];
        let fraction = position.fraction as f32;
        Point::new(from.x + (to.x - from.x) * fraction, from.y + (to.y - from.y) * fraction)
    }

    /// Adds to `builder` the ink between pen-down lengths `from_px` and `to_px`, one subpath per stroke
    /// piece.
    ///
    /// Consecutive calls with adjoining ranges add every stroke exactly once. The range includes
    /// `from_px` and excludes `to_px`, unless `includes_end` is set (for the last piece): that only
    /// matters for strokes of zero length, which are added as a dot.
    pub(crate) fn append_piece(
        &self,
        builder: &mut PathBuilder,
        from_px: f64,
        to_px: f64,
        includes_end: bool,
    ) {
        let first = self.strokes.partition_point(|stroke| self.lengths_px[stroke.points.end - 1] < from_px);

        for stroke in first..self.strokes.len() {
            let (start_px, end_px) = (self.stroke_start_px(stroke), self.stroke_end_px(stroke));
            if start_px > to_px {
                break;
            }

            // A stroke of zero length is a dot, added by the piece whose range contains its length.
            if end_px <= start_px {
                if (from_px <= start_px && start_px < to_px) || (includes_end && start_px == to_px) {
                    // tiny-skia's stroker draws the round caps of a zero-length segment as a dot.
                    let dot = self.points[self.strokes[stroke].points.start];
                    builder.move_to(dot.x, dot.y);
                    builder.line_to(dot.x, dot.y);
                }
                continue;
            }

            let (low_px, high_px) = (start_px.max(from_px), end_px.min(to_px));
            if low_px >= high_px {
                continue;
            }
            let low = self.locate_in_stroke(stroke, low_px);
            let high = self.locate_in_stroke(stroke, high_px);

            // Repeated points (a piece that starts on a vertex) are skipped, so no segment has zero length.
            let begin = self.point_at(low);
            builder.move_to(begin.x, begin.y);
            let mut last = begin;
            let end = self.point_at(high);
            for &vertex in self.points[low.segment + 1..=high.segment].iter().chain([&end]) {
                if vertex != last {
                    builder.line_to(vertex.x, vertex.y);
                    last = vertex;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use strokes::{Pass, Point, Stroke, StrokeSet};
    use tiny_skia::{PathBuilder, PathSegment};

    use super::InkPath;
    use crate::fit::Fit;

    fn stroke(pass: Pass, points: &[(f32, f32)]) -> Stroke {
        Stroke { pass, points: points.iter().map(|&(x, y)| Point::new(x, y)).collect() }
    }

    /// Returns the summed segment length and the number of zero-length segments of a path.
    fn measure(builder: PathBuilder) -> (f64, usize) {
        let Some(path) = builder.finish() else {
            return (0.0, 0);
        };
        let (mut length, mut dots, mut last) = (0.0, 0, None);
        for segment in path.segments() {
            match segment {
                PathSegment::MoveTo(point) => last = Some(point),
                PathSegment::LineTo(point) => {
                    let from = last.expect("a line starts after a move");
                    let segment_length = f64::from(from.distance(point));
                    length += segment_length;
                    dots += usize::from(segment_length == 0.0);
                    last = Some(point);
                }
                other => panic!("unexpected segment {other:?}"),
            }
        }
        (length, dots)
    }

    #[test]
    fn pieces_add_every_stroke_once() {
        let set = StrokeSet {
            width: 100,
            height: 100,
            strokes: vec![
                stroke(Pass::Contour, &[(0.0, 0.0), (30.0, 0.0), (30.0, 40.0)]),
                stroke(Pass::Feature, &[(50.0, 50.0), (50.0, 50.0)]),
                stroke(Pass::Feature, &[(60.0, 60.0), (90.0, 60.0)]),
                stroke(Pass::Detail, &[(10.0, 90.0), (10.0, 90.0)]),
            ],
        };
        let ink = InkPath::new(&set, &Fit { scale: 1.0, offset_x: 0.0, offset_y: 0.0 });
        let total = ink.total_length_px();
        assert_eq!(total, 100.0);

        // Piece boundaries fall inside segments, on vertices and on the dots.
        for boundaries in
            [vec![0.0, 100.0], vec![0.0, 12.5, 30.0, 70.0, 70.0, 85.0, 100.0], vec![0.0, 70.0, 100.0]]
        {
            let (mut length, mut dots) = (0.0, 0);
            for (index, pair) in boundaries.windows(2).enumerate() {
                let mut builder = PathBuilder::new();
                let is_last = index + 2 == boundaries.len();
                ink.append_piece(&mut builder, pair[0], pair[1], is_last);
                let (piece_length, piece_dots) = measure(builder);
                length += piece_length;
                dots += piece_dots;
            }
            assert!((length - total).abs() < 1e-4, "pieces at {boundaries:?} add {length} px of {total} px");
            assert_eq!(dots, 2, "pieces at {boundaries:?} add {dots} dots");
        }
    }

    #[test]
    fn locate_prefers_end_of_finished_stroke() {
        let set = StrokeSet {
            width: 100,
            height: 100,
            strokes: vec![
                stroke(Pass::Contour, &[(0.0, 0.0), (10.0, 0.0)]),
                stroke(Pass::Contour, &[(50.0, 50.0), (60.0, 50.0)]),
            ],
        };
        let ink = InkPath::new(&set, &Fit { scale: 1.0, offset_x: 0.0, offset_y: 0.0 });

        assert_eq!(ink.point_at(ink.locate(10.0)), Point::new(10.0, 0.0));
        assert_eq!(ink.point_at(ink.locate(15.0)), Point::new(55.0, 50.0));
        assert_eq!(ink.point_at(ink.locate(0.0)), Point::new(0.0, 0.0));
        assert_eq!(ink.point_at(ink.locate(20.0)), Point::new(60.0, 50.0));
    }
}
