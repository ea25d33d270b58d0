//! Polylines to strokes in the order an artist draws them: passes first, then a short pen path inside
//! each pass.
//!
//! Passes: a stroke is a contour when it is long and either lies mostly on the outer silhouette of the
//! drawing or is one of the longest strokes. It is a feature when it is of medium length, and detail
//! otherwise.
//!
//! Inside a pass, a greedy nearest-neighbour tour (with stroke reversal, and travel upwards costing
//! more so the drawing grows from top to bottom) is improved by windowed 2-opt. Both steps have fixed
//! work bounds, so the time does not depend on the luck of the input.

use crate::model::{Pass, Point, Stroke};
use crate::trace::polyline_length;

/// A contour is at least this share of the working image's long side (128 px at 1024).
const CONTOUR_MIN_LENGTH_FRACTION: f32 = 1.0 / 8.0;

/// A feature is at least this share of the working image's long side (about 26 px at 1024); shorter
/// strokes are detail.
const FEATURE_MIN_LENGTH_FRACTION: f32 = 1.0 / 40.0;

/// A long stroke with at least this share of its points on the silhouette is a contour.
const SILHOUETTE_POINT_FRACTION: f32 = 0.3;

/// The longest strokes that together contain this share of all ink are contours too (when long enough),
/// so the main shapes inside the silhouette, such as a face outline, come first.
const LONGEST_INK_FRACTION: f32 = 0.25;

/// Size of the bands in which the silhouette is measured, in pixels: a point is on the silhouette when
/// it is within one band of the outermost ink of its row band or column band.
const SILHOUETTE_BAND_PX: f32 = 8.0;

/// Extra cost per pixel of upward pen travel between strokes, relative to a pixel of travel distance.
const UPWARD_TRAVEL_PENALTY: f32 = 0.5;

/// 2-opt compares each stroke with at most this many strokes after it in the tour.
const TWO_OPT_WINDOW: usize = 64;

/// 2-opt stops after this many passes over the tour even if it still finds improvements.
const TWO_OPT_MAX_SWEEPS: usize = 6;

/// Assigns each polyline to a pass (see the module documentation for the rule).
pub(crate) fn classify(polylines: Vec<Vec<Point>>, width: u32, height: u32) -> Vec<Stroke> {
    let long_side = width.max(height) as f32;
    let contour_min_length = long_side * CONTOUR_MIN_LENGTH_FRACTION;
    let feature_min_length = long_side * FEATURE_MIN_LENGTH_FRACTION;
    let lengths: Vec<f32> = polylines.iter().map(|line| polyline_length(line)).collect();

    // Mark the longest strokes that together contain LONGEST_INK_FRACTION of the ink.
    let mut by_length: Vec<usize> = (0..polylines.len()).collect();
    by_length.sort_by(|&a, &b| lengths[b].total_cmp(&lengths[a]));
    let total_length: f32 = lengths.iter().sum();
    let mut is_longest = vec![false; polylines.len()];
    let mut accumulated = 0.0;
    for &index in &by_length {
        if accumulated >= total_length * LONGEST_INK_FRACTION {
            break;
        }
        is_longest[index] = true;
        accumulated += lengths[index];
    }

    let silhouette = Silhouette::new(&polylines, width, height);
    polylines
        .into_iter()
        .enumerate()
        .map(|(index, points)| {
            let length = lengths[index];
            let outer = silhouette.outer_fraction(&points);
            let pass = if length >= contour_min_length
                && (outer >= SILHOUETTE_POINT_FRACTION || is_longest[index])
            {
                Pass::Contour
            } else if length >= feature_min_length {
                Pass::Feature
            } else {
                Pass::Detail
            };
            Stroke { pass, points }
        })
        .collect()
}

/// The outermost ink of every row band and column band.
struct Silhouette {
    /// Leftmost and rightmost x of each row band.
    rows: Vec<(f32, f32)>,
    /// Topmost and bottommost y of each column band.
    columns: Vec<(f32, f32)>,
}

impl Silhouette {
    fn new(polylines: &[Vec<Point>], width: u32, height: u32) -> Self {
        let band_count = |extent: u32| (extent as f32 / SILHOUETTE_BAND_PX).ceil() as usize + 1;
        let empty = (f32::INFINITY, f32::NEG_INFINITY);
        let mut rows = vec![empty; band_count(height)];
        let mut columns = vec![empty; band_count(width)];
        for point in polylines.iter().flatten() {
            let row = &mut rows[band(point.y)];
            *row = (row.0.min(point.x), row.1.max(point.x));
            let column = &mut columns[band(point.x)];
            *column = (column.0.min(point.y), column.1.max(point.y));
        }
        Self { rows, columns }
    }

    /// Returns the share of `points` that lie within one band of the outermost ink of their row or
    /// column.
    fn outer_fraction(&self, points: &[Point]) -> f32 {
        let near = |value: f32, (first, last): (f32, f32)| {
            value - first <= SILHOUETTE_BAND_PX || last - value <= SILHOUETTE_BAND_PX
        };
        let outer = points
            .iter()
            .filter(|point| {
                near(point.x, self.rows[band(point.y)]) || near(point.y, self.columns[band(point.x)])
            })
            .count();
        outer as f32 / points.len().max(1) as f32
    }
}

fn band(coordinate: f32) -> usize {
    (coordinate.max(0.0) / SILHOUETTE_BAND_PX) as usize
}

/// Drops strokes until at most `max_points` remain: detail first, then features, then contours, the
/// shortest of each pass first.
pub(crate) fn enforce_point_budget(strokes: &mut Vec<Stroke>, max_points: usize) {
    let mut total: usize = strokes.iter().map(|stroke| stroke.points.len()).sum();
    if total <= max_points {
        return;
    }

    // Sort removal candidates: Detail before Feature before Contour, and short before long.
    let mut candidates: Vec<usize> = (0..strokes.len()).collect();
    candidates.sort_by(|&a, &b| {
        strokes[b].pass.cmp(&strokes[a].pass).then(strokes[a].points.len().cmp(&strokes[b].points.len()))
    });

    let mut dropped = vec![false; strokes.len()];
    for index in candidates {
        if total <= max_points {
            break;
        }
        dropped[index] = true;
        total -= strokes[index].points.len();
    }
    let mut index = 0;
    strokes.retain(|_| {
        let keep = !dropped[index];
        index += 1;
        keep
    });
}

/// Orders strokes pass by pass (contours, features, detail), each pass as a short pen path that
/// starts where the previous pass ended. The first pass starts at the top centre of the canvas.
pub(crate) fn order_strokes(strokes: Vec<Stroke>, width: u32) -> Vec<Stroke> {
    let mut pen = Point::new(width as f32 / 2.0, 0.0);
    let mut ordered = Vec::with_capacity(strokes.len());

    for pass in [Pass::Contour, Pass::Feature, Pass::Detail] {
        let pass_strokes: Vec<Stroke> =
            strokes.iter().filter(|stroke| stroke.pass == pass).cloned().collect();
        if pass_strokes.is_empty() {
            continue;
        }
        let mut tour = nearest_neighbour_tour(&pass_strokes, pen);
        improve_two_opt(&pass_strokes, &mut tour, pen);

        for &(index, reversed) in &tour {
            let mut stroke = pass_strokes[index].clone();
            if reversed {
                stroke.points.reverse();
            }
            ordered.push(stroke);
        }
        pen = *ordered.last().and_then(|stroke: &Stroke| stroke.points.last()).unwrap_or(&pen);
    }
    ordered
}

/// A tour entry: the stroke index and whether it is drawn from its last point to its first.
type TourStep = (usize, bool);

fn start_of(strokes: &[Stroke], (index, reversed): TourStep) -> Point {
    let points = &strokes[index].points;
    if reversed { points[points.len() - 1] } else { points[0] }
}

fn end_of(strokes: &[Stroke], (index, reversed): TourStep) -> Point {
    let points = &strokes[index].points;
    if reversed { points[0] } else { points[points.len() - 1] }
}

/// Cost of moving the pen from `from` to `to`: the distance, plus a penalty for going up.
fn travel_cost(from: Point, to: Point) -> f32 {
    from.distance(to) + UPWARD_TRAVEL_PENALTY * (from.y - to.y).max(0.0)
}

/// Builds a tour by always drawing next the stroke whose nearer end is cheapest to reach.
fn nearest_neighbour_tour(strokes: &[Stroke], start: Point) -> Vec<TourStep> {
    let grid = EndGrid::new(strokes);
    let mut drawn = vec![false; strokes.len()];
    let mut tour = Vec::with_capacity(strokes.len());
    let mut pen = start;

    for _ in 0..strokes.len() {
        let step = grid.cheapest_from(pen, strokes, &drawn);
        drawn[step.0] = true;
        tour.push(step);
        pen = end_of(strokes, step);
    }
    tour
}

/// Side of the cells in which [`EndGrid`] buckets stroke ends, in pixels.
const END_GRID_CELL_PX: f32 = 32.0;

/// Both ends of every stroke, bucketed on a grid so the cheapest next stroke is found by searching
/// outwards from the pen. Comparing all strokes instead would be quadratic in the stroke count, and a
/// full point budget can hold 8,000 strokes.
struct EndGrid {
    columns: usize,
    rows: usize,
    /// Per cell, the tour steps that start in it (a stroke appears once per direction).
    cells: Vec<Vec<TourStep>>,
}

impl EndGrid {
    fn new(strokes: &[Stroke]) -> Self {
        let ends = || (0..strokes.len()).flat_map(|index| [(index, false), (index, true)]);
        let max_x = ends().map(|step| start_of(strokes, step).x).fold(0.0, f32::max);
        let max_y = ends().map(|step| start_of(strokes, step).y).fold(0.0, f32::max);
        let columns = (max_x / END_GRID_CELL_PX) as usize + 1;
        let rows = (max_y / END_GRID_CELL_PX) as usize + 1;

        let mut grid = Self { columns, rows, cells: vec![Vec::new(); columns * rows] };
        for step in ends() {
            let (column, row) = grid.cell_of(start_of(strokes, step));
            grid.cells[row * columns + column].push(step);
        }
        grid
    }

    /// Returns the cell containing `point`, or the nearest cell when `point` is outside the grid.
    fn cell_of(&self, point: Point) -> (usize, usize) {
        let column = ((point.x.max(0.0) / END_GRID_CELL_PX) as usize).min(self.columns - 1);
        let row = ((point.y.max(0.0) / END_GRID_CELL_PX) as usize).min(self.rows - 1);
        (column, row)
    }

    /// Returns the undrawn tour step cheapest to reach from `pen` (ties go to the lower stroke index).
    ///
    /// Cells are searched in square rings around the pen's cell. Every point beyond ring `r` is at
    /// least `r` cells away and travel costs at least its distance, so the search stops once the best
    /// cost found is within that bound.
    fn cheapest_from(&self, pen: Point, strokes: &[Stroke], drawn: &[bool]) -> TourStep {
        let (pen_column, pen_row) = self.cell_of(pen);
        let mut best: Option<(f32, TourStep)> = None;

        for ring in 0..self.columns.max(self.rows) {
            for (column, row) in ring_cells(pen_column, pen_row, ring, self.columns, self.rows) {
                for &step in &self.cells[row * self.columns + column] {
                    if drawn[step.0] {
                        continue;
                    }
                    let cost = travel_cost(pen, start_of(strokes, step));
                    let better = match best {
                        None => true,
                        Some((best_cost, best_step)) => {
                            cost < best_cost || (cost == best_cost && step < best_step)
                        }
                    };
                    if better {
                        best = Some((cost, step));
                    }
                }
            }
            if best.is_some_and(|(cost, _)| cost <= ring as f32 * END_GRID_CELL_PX) {
                break;
            }
        }
        best.expect("an undrawn stroke remains").1
    }
}

/// Returns the cells at Chebyshev distance `ring` from (`column`, `row`) that lie inside the grid.
fn ring_cells(
    column: usize,
    row: usize,
    ring: usize,
    columns: usize,
    rows: usize,
) -> impl Iterator<Item = (usize, usize)> {
    let ring = ring as isize;
    let (column, row) = (column as isize, row as isize);
    (-ring..=ring)
        .flat_map(move |dy| {
            let on_edge_row = dy.abs() == ring;
            let step = if on_edge_row { 1 } else { (2 * ring).max(1) as usize };
            (-ring..=ring).step_by(step).map(move |dx| (column + dx, row + dy))
        })
        .filter(move |&(x, y)| x >= 0 && y >= 0 && (x as usize) < columns && (y as usize) < rows)
        .map(|(x, y)| (x as usize, y as usize))
}

/// Shortens the pen-up travel of a tour with 2-opt moves: reversing a run of strokes (and the
/// direction of each) when that shortens the two links at its ends. The pen's start is fixed and the
/// tour's end is open.
fn improve_two_opt(strokes: &[Stroke], tour: &mut [TourStep], start: Point) {
    let count = tour.len();
    for _ in 0..TWO_OPT_MAX_SWEEPS {
        let mut improved = false;
        for first in 0..count {
            let before = if first == 0 { start } else { end_of(strokes, tour[first - 1]) };
            for last in first + 1..count.min(first + TWO_OPT_WINDOW) {
                let run_start = start_of(strokes, tour[first]);
                let run_end = end_of(strokes, tour[last]);
                let after = (last + 1 < count).then(|| start_of(strokes, tour[last + 1]));

                // Links before: before→run_start and run_end→after. After reversal: before→run_end
                // and run_start→after.
                let old_cost =
                    before.distance(run_start) + after.map_or(0.0, |after| run_end.distance(after));
                let new_cost =
                    before.distance(run_end) + after.map_or(0.0, |after| run_start.distance(after));
                if new_cost < old_cost - 1e-3 {
                    tour[first..=last].reverse();
                    for step in &mut tour[first..=last] {
                        step.1 = !step.1;
                    }
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Returns the pen-up travel distance of strokes drawn in the given order from `start`, in pixels.
#[cfg(test)]
fn travel_length(strokes: &[Stroke], start: Point) -> f32 {
    let mut pen = start;
    let mut total = 0.0;
    for stroke in strokes {
        total += pen.distance(stroke.points[0]);
        pen = stroke.points[stroke.points.len() - 1];
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(x0: f32, y0: f32, x1: f32, y1: f32, pass: Pass) -> Stroke {
        Stroke { pass, points: vec![Point::new(x0, y0), Point::new(x1, y1)] }
    }

    #[test]
    fn passes_come_in_order_contour_feature_detail() {
        let strokes = vec![
            segment(0.0, 0.0, 5.0, 0.0, Pass::Detail),
            segment(0.0, 10.0, 50.0, 10.0, Pass::Feature),
            segment(0.0, 20.0, 500.0, 20.0, Pass::Contour),
        ];
        let ordered = order_strokes(strokes, 512);
        let passes: Vec<Pass> = ordered.iter().map(|stroke| stroke.pass).collect();
        assert_eq!(passes, [Pass::Contour, Pass::Feature, Pass::Detail]);
    }

    #[test]
    fn tour_reverses_strokes_stored_backwards() {
        // A row of segments each stored right to left: from the left, each is drawn left to right.
        let strokes: Vec<Stroke> = (0..10)
            .map(|k| segment(k as f32 * 20.0 + 10.0, 5.0, k as f32 * 20.0, 5.0, Pass::Feature))
            .collect();
        let tour = nearest_neighbour_tour(&strokes, Point::new(0.0, 0.0));
        let expected: Vec<TourStep> = (0..10).map(|index| (index, true)).collect();
        assert_eq!(tour, expected);
    }

    #[test]
    fn grid_search_matches_exhaustive_search() {
        // Scattered strokes: the grid must pick the same next stroke as comparing all of them.
        let mut state = 99u32;
        let mut random = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1 << 24) as f32 * 500.0
        };
        let strokes: Vec<Stroke> =
            (0..300).map(|_| segment(random(), random(), random(), random(), Pass::Detail)).collect();
        let grid = EndGrid::new(&strokes);
        let mut drawn = vec![false; strokes.len()];
        for k in 0..200 {
            let pen = Point::new(random(), random());
            let exhaustive = (0..strokes.len())
                .filter(|&index| !drawn[index])
                .flat_map(|index| [(index, false), (index, true)])
                .min_by(|&a, &b| {
                    let cost = |step| travel_cost(pen, start_of(&strokes, step));
                    cost(a).total_cmp(&cost(b)).then(a.cmp(&b))
                })
                .expect("strokes remain");
            assert_eq!(grid.cheapest_from(pen, &strokes, &drawn), exhaustive, "query {k}");
            drawn[exhaustive.0] = true;
        }
    }

    #[test]
    fn two_opt_removes_a_crossing() {
        // Strokes at x = 0, 30, 10, 20, 40 along a line: the greedy tour is already fine, so build a
        // deliberately crossed one and check 2-opt untangles it.
        let strokes: Vec<Stroke> = [0.0, 30.0, 10.0, 20.0, 40.0]
            .iter()
            .map(|&x| segment(x, 0.0, x + 1.0, 0.0, Pass::Feature))
            .collect();
        let mut tour: Vec<TourStep> = (0..strokes.len()).map(|index| (index, false)).collect();
        let start = Point::new(0.0, 0.0);
        let cost = |tour: &[TourStep]| {
            let ordered: Vec<Stroke> = tour
                .iter()
                .map(|&(index, reversed)| {
                    let mut stroke = strokes[index].clone();
                    if reversed {
                        stroke.points.reverse();
                    }
                    stroke
                })
                .collect();
            travel_length(&ordered, start)
        };
        let before = cost(&tour);
        improve_two_opt(&strokes, &mut tour, start);
        assert!(cost(&tour) < before, "2-opt did not shorten a crossed tour");
    }

    #[test]
    fn budget_drops_detail_before_features() {
        let long = |pass| Stroke { pass, points: vec![Point::new(0.0, 0.0); 10] };
        let mut strokes =
            vec![long(Pass::Contour), long(Pass::Feature), long(Pass::Detail), long(Pass::Detail)];
        enforce_point_budget(&mut strokes, 25);
        let passes: Vec<Pass> = strokes.iter().map(|stroke| stroke.pass).collect();
        assert_eq!(passes, [Pass::Contour, Pass::Feature]);
    }
}
