//! Line skeleton to clean polylines: trace pixel chains, merge ends that nearly touch, drop specks,
//! simplify and resample to even spacing.

use crate::lines::Skeleton;
use crate::model::Point;

/// Ends of two polylines closer than this are joined into one stroke, in pixels. Thinning and faint
/// stretches of an edge leave gaps of a pixel or two, and joining them saves pen lifts.
pub const MERGE_DISTANCE_PX: f32 = 3.0;

/// Polylines shorter than this are specks (noise, texture) and are dropped, in pixels.
pub const MIN_STROKE_LENGTH_PX: f32 = 8.0;

/// Ramer–Douglas–Peucker tolerance, in pixels: removes the pixel staircase without moving a line
/// visibly.
pub const SIMPLIFY_TOLERANCE_PX: f32 = 0.7;

/// Distance between consecutive points of a finished stroke, in pixels. Steps differ slightly where
/// a stroke's ends and corners must be kept.
pub const POINT_SPACING_PX: f32 = 2.0;

/// Traces the skeleton and returns cleaned, evenly resampled polylines of two or more points.
pub(crate) fn trace_polylines(skeleton: &Skeleton) -> Vec<Vec<Point>> {
    let chains = Tracer::new(skeleton).trace();
    let polylines = chains
        .into_iter()
        .map(|chain| {
            chain
                .into_iter()
                .map(|index| {
                    let (x, y) = skeleton.coordinates(index);
                    // The centre of the pixel, in the same coordinates as the image.
                    Point::new(x as f32 + 0.5, y as f32 + 0.5)
                })
                .collect()
        })
        .collect();

    merge_near_ends(polylines, MERGE_DISTANCE_PX)
        .into_iter()
        .filter(|line| polyline_length(line) >= MIN_STROKE_LENGTH_PX)
        .map(|line| resample(&simplify(&line, SIMPLIFY_TOLERANCE_PX), POINT_SPACING_PX))
        .filter(|line| line.len() >= 2)
        .collect()
}

/// Walks skeleton pixels into chains, each pixel visited once.
struct Tracer<'a> {
    skeleton: &'a Skeleton,
    offsets: [isize; 8],
    visited: Vec<bool>,
}

impl<'a> Tracer<'a> {
    fn new(skeleton: &'a Skeleton) -> Self {
        Self { skeleton, offsets: skeleton.neighbour_offsets(), visited: vec![false; skeleton.ink.len()] }
    }

    fn is_ink(&self, index: usize) -> bool {
        self.skeleton.ink[index] != 0
    }

    fn degree(&self, index: usize) -> usize {
        self.offsets.iter().filter(|&&offset| self.is_ink(index.wrapping_add_signed(offset))).count()
    }

    fn trace(mut self) -> Vec<Vec<usize>> {
        let mut chains = Vec::new();

        // Open lines first, from their ends, so each is drawn in one piece from end to end.
        for index in 0..self.skeleton.ink.len() {
            if self.is_ink(index) && !self.visited[index] && self.degree(index) == 1 {
                self.visited[index] = true;
                chains.push(self.walk(vec![index]));
            }
        }

        // What is left are closed loops and lines whose ends sit on a junction: walk both ways from
        // any pixel and join the halves.
        for index in 0..self.skeleton.ink.len() {
            if self.is_ink(index) && !self.visited[index] {
                self.visited[index] = true;
                let forward = self.walk(vec![index]);
                let backward = self.walk(vec![index]);
                let mut chain: Vec<usize> = backward.into_iter().rev().collect();
                chain.extend_from_slice(&forward[1..]);
                chains.push(chain);
            }
        }
        chains
    }

    /// Extends `path` through unvisited ink, preferring edge neighbours so that no staircase pixel is
    /// skipped. At a dead end it appends one already-drawn neighbour (a junction or the start of a
    /// loop), so branches stay attached to the line they grow from.
    fn walk(&mut self, mut path: Vec<usize>) -> Vec<usize> {
        loop {
            let current = *path.last().expect("path starts with one pixel");
            let next = self
                .offsets
                .iter()
                .map(|&offset| current.wrapping_add_signed(offset))
                .find(|&neighbour| self.is_ink(neighbour) && !self.visited[neighbour]);
            if let Some(next) = next {
                self.visited[next] = true;
                path.push(next);
                continue;
            }

            let recent = &path[path.len().saturating_sub(3)..];
            let join = self
                .offsets
                .iter()
                .map(|&offset| current.wrapping_add_signed(offset))
                .find(|&neighbour| self.is_ink(neighbour) && !recent.contains(&neighbour));
            if let Some(join) = join {
                path.push(join);
            }
            return path;
        }
    }
}

/// Joins polylines whose ends lie within `max_gap` pixels, closest pairs first. Each end joins at most
/// once.
fn merge_near_ends(lines: Vec<Vec<Point>>, max_gap: f32) -> Vec<Vec<Point>> {
    let lines: Vec<Vec<Point>> = lines.into_iter().filter(|line| line.len() >= 2).collect();
    // Endpoint `2 * line` is a line's first point and `2 * line + 1` its last.
    let endpoint = |id: usize| {
        let line = &lines[id / 2];
        if id.is_multiple_of(2) { line[0] } else { line[line.len() - 1] }
    };

    // Bucket the ends of open lines on a grid of `max_gap` cells, so each end is compared only with
    // ends in its own and the eight surrounding cells.
    let cell_of = |point: Point| ((point.x / max_gap).floor() as i32, (point.y / max_gap).floor() as i32);
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = std::collections::HashMap::new();
    for (index, line) in lines.iter().enumerate() {
        let closed = line.len() > 2 && line[0].distance(line[line.len() - 1]) < 1.5;
        if !closed {
            for id in [2 * index, 2 * index + 1] {
                grid.entry(cell_of(endpoint(id))).or_default().push(id);
            }
        }
    }
    let mut pairs = Vec::new();
    for (&(cell_x, cell_y), ids) in &grid {
        for &a in ids {
            for (dx, dy) in (-1..=1).flat_map(|dx| (-1..=1).map(move |dy| (dx, dy))) {
                let Some(others) = grid.get(&(cell_x + dx, cell_y + dy)) else { continue };
                for &b in others {
                    let gap = endpoint(a).distance(endpoint(b));
                    if a < b && a / 2 != b / 2 && gap <= max_gap {
                        pairs.push((gap, a, b));
                    }
                }
            }
        }
    }
    // Sort fully (the grid's iteration order varies between runs), so the result is reproducible.
    pairs.sort_by(|first, second| {
        first.0.total_cmp(&second.0).then(first.1.cmp(&second.1)).then(first.2.cmp(&second.2))
    });

    let mut partner = vec![usize::MAX; lines.len() * 2];
    for &(_, a, b) in &pairs {
        if partner[a] == usize::MAX && partner[b] == usize::MAX {
            partner[a] = b;
            partner[b] = a;
        }
    }

    // Assemble chains from lines with a free end, then the remaining rings of joined lines.
    let mut used = vec![false; lines.len()];
    let mut merged = Vec::new();
    for id in 0..lines.len() * 2 {
        if !used[id / 2] && partner[id] == usize::MAX {
            merged.push(follow_chain(&lines, &partner, &mut used, id));
        }
    }
    for line in 0..lines.len() {
        if !used[line] {
            merged.push(follow_chain(&lines, &partner, &mut used, 2 * line));
        }
    }
    merged
}

/// Concatenates lines starting at endpoint `entry` and following joined ends until a free end or a
/// line already used (a ring, which is then closed).
fn follow_chain(lines: &[Vec<Point>], partner: &[usize], used: &mut [bool], mut entry: usize) -> Vec<Point> {
    let mut chain: Vec<Point> = Vec::new();
    loop {
        let line = entry / 2;
        used[line] = true;
        let forward = entry.is_multiple_of(2);
        let points: Box<dyn Iterator<Item = &Point>> =
            if forward { Box::new(lines[line].iter()) } else { Box::new(lines[line].iter().rev()) };
        for &point in points {
            if chain.last() != Some(&point) {
                chain.push(point);
            }
        }

        let exit = if forward { 2 * line + 1 } else { 2 * line };
        let next = partner[exit];
        if next == usize::MAX {
            return chain;
        }
        if used[next / 2] {
            // Close the ring at the point where it started.
            chain.push(chain[0]);
            return chain;
        }
        entry = next;
    }
}

/// Returns the length of a polyline in pixels.
pub(crate) fn polyline_length(points: &[Point]) -> f32 {
    points.windows(2).map(|pair| pair[0].distance(pair[1])).sum()
}

/// Simplifies a polyline with Ramer–Douglas–Peucker, measuring distance to the segment (not the
/// infinite line, so hairpins and closed loops survive). Iterative, so long lines cannot overflow the
/// stack.
pub(crate) fn simplify(points: &[Point], tolerance: f32) -> Vec<Point> {
    if points.len() <= 2 {
        return points.to_vec();
    }

    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut ranges = vec![(0, points.len() - 1)];
    while let Some((first, last)) = ranges.pop() {
        let farthest = (first + 1..last)
            .map(|index| (index, segment_distance(points[index], points[first], points[last])))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((index, distance)) = farthest
            && distance > tolerance
        {
            keep[index] = true;
            ranges.push((first, index));
            ranges.push((index, last));
        }
    }

    points.iter().zip(keep).filter(|(_, kept)| *kept).map(|(point, _)| *point).collect()
}

/// Returns the distance from `point` to the segment `start`–`end`.
pub(crate) fn segment_distance(point: Point, start: Point, end: Point) -> f32 {
    let (dx, dy) = (end.x - start.x, end.y - start.y);
    let length_squared = dx * dx + dy * dy;
    if length_squared == 0.0 {
        return point.distance(start);
    }
    let t = (((point.x - start.x) * dx + (point.y - start.y) * dy) / length_squared).clamp(0.0, 1.0);
    point.distance(Point::new(start.x + t * dx, start.y + t * dy))
}

/// Places points about every `spacing` pixels along the polyline. Corners sharper than
/// [`CORNER_ANGLE_DEGREES`] and both ends are kept exactly, and each stretch between them is divided
/// into equal steps, so steps are between `spacing / 2` and `1.5 * spacing` and shapes keep their
/// corners.
pub(crate) fn resample(points: &[Point], spacing: f32) -> Vec<Point> {
    let mut resampled = vec![points[0]];
    let mut piece_start = 0;
    for index in 1..points.len() {
        let is_last = index == points.len() - 1;
        if is_last || is_corner(points[index - 1], points[index], points[index + 1]) {
            resample_piece(&points[piece_start..=index], spacing, &mut resampled);
            piece_start = index;
        }
    }
    resampled
}

/// A turn of more than this between consecutive segments is a corner that resampling keeps, in
/// degrees.
pub const CORNER_ANGLE_DEGREES: f32 = 35.0;

fn is_corner(before: Point, at: Point, after: Point) -> bool {
    let incoming = (at.x - before.x, at.y - before.y);
    let outgoing = (after.x - at.x, after.y - at.y);
    let lengths = incoming.0.hypot(incoming.1) * outgoing.0.hypot(outgoing.1);
    if lengths == 0.0 {
        return false;
    }
    let cosine = (incoming.0 * outgoing.0 + incoming.1 * outgoing.1) / lengths;
    cosine < CORNER_ANGLE_DEGREES.to_radians().cos()
}

/// Appends points at equal steps of about `spacing` along `piece`, excluding its first point and
/// ending with its last.
fn resample_piece(piece: &[Point], spacing: f32, resampled: &mut Vec<Point>) {
    let total = polyline_length(piece);
    let steps = (total / spacing).round().max(1.0) as usize;
    let step = total / steps as f32;

    let mut segment = 0;
    let mut walked_to_segment_start = 0.0;
    for k in 1..steps {
        let target = k as f32 * step;
        // Advance to the segment that contains the target distance.
        while segment + 2 < piece.len()
            && walked_to_segment_start + piece[segment].distance(piece[segment + 1]) < target
        {
            walked_to_segment_start += piece[segment].distance(piece[segment + 1]);
            segment += 1;
        }
        let (start, end) = (piece[segment], piece[segment + 1]);
        let segment_length = start.distance(end);
        let t = if segment_length > 0.0 {
            ((target - walked_to_segment_start) / segment_length).clamp(0.0, 1.0)
        } else {
            0.0
        };
        resampled.push(Point::new(start.x + t * (end.x - start.x), start.y + t * (end.y - start.y)));
    }
    resampled.push(piece[piece.len() - 1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[(f32, f32)]) -> Vec<Point> {
        points.iter().map(|&(x, y)| Point::new(x, y)).collect()
    }

    #[test]
    fn simplify_keeps_corner_and_drops_collinear_points() {
        let simplified = simplify(&line(&[(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (2.0, 5.0)]), 0.7);
        assert_eq!(simplified, line(&[(0.0, 0.0), (2.0, 0.0), (2.0, 5.0)]));
    }

    #[test]
    fn simplify_keeps_hairpin() {
        // Out and back along the same line: distance to the infinite line is zero everywhere.
        let simplified = simplify(&line(&[(0.0, 0.0), (10.0, 0.0), (5.0, 0.0)]), 0.7);
        assert_eq!(simplified.len(), 3);
    }

    #[test]
    fn resample_spaces_points_evenly_and_keeps_ends() {
        let resampled = resample(&line(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]), 2.0);
        assert_eq!(resampled.len(), 11);
        assert_eq!(resampled[0], Point::new(0.0, 0.0));
        assert_eq!(resampled[10], Point::new(10.0, 10.0));
        for pair in resampled.windows(2) {
            assert!((pair[0].distance(pair[1]) - 2.0).abs() < 1e-4, "uneven step {pair:?}");
        }
    }

    #[test]
    fn resample_keeps_sharp_corner() {
        // A right angle whose corner falls between two even steps: it must still be a point.
        let resampled = resample(&line(&[(0.0, 0.0), (5.0, 0.0), (5.0, 5.0)]), 2.0);
        assert!(resampled.contains(&Point::new(5.0, 0.0)), "corner lost: {resampled:?}");
    }

    #[test]
    fn merge_joins_only_near_ends() {
        let merged = merge_near_ends(
            vec![
                line(&[(0.0, 0.0), (10.0, 0.0)]),
                line(&[(30.0, 0.0), (12.0, 0.0)]),
                line(&[(50.0, 50.0), (60.0, 50.0)]),
            ],
            MERGE_DISTANCE_PX,
        );
        assert_eq!(merged.len(), 2);
        let joined = merged.iter().find(|line| line.len() == 4).expect("the two near lines are one");
        let xs: Vec<f32> = joined.iter().map(|point| point.x).collect();
        assert!(xs == [0.0, 10.0, 12.0, 30.0] || xs == [30.0, 12.0, 10.0, 0.0], "joined as {xs:?}");
    }

    #[test]
    fn pieces_of_a_ring_are_closed() {
        let merged = merge_near_ends(
            vec![
                line(&[(0.0, 0.0), (20.0, 0.0), (20.0, 20.0)]),
                line(&[(20.0, 21.0), (0.0, 20.0), (0.0, 1.0)]),
            ],
            MERGE_DISTANCE_PX,
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].first(), merged[0].last());
    }
}
