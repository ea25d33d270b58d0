//! Working image to a one-pixel-wide line skeleton: auto-contrast, difference of Gaussians with
//! thresholds taken from the image's own response, hysteresis, thinning.
//!
//! The detector is the difference of Gaussians behind XDoG stylisation, reduced to its line part: the response is how much darker a pixel is than its wider surroundings. A thin dark
//! line gives one ridge along its centre and a step edge one ridge on its dark side, so every edge is
//! drawn once (Canny would outline a thin line on both sides). The ridge is then kept where it passes
//! Canny-style hysteresis thresholds.

use image::{GrayImage, ImageBuffer, Luma};
use imageproc::filter::gaussian_blur_f32;

/// Ratio of the wide to the narrow Gaussian, the usual value for difference of Gaussians.
const DOG_SIGMA_RATIO: f32 = 1.6;

/// Narrow Gaussian's standard deviation per pixel of the working image's long side.
///
/// At 1024 pixels this is 1.5 px, chosen by eye on the sample portraits: wide enough to ignore skin
/// texture and JPEG noise, narrow enough to keep eyes and lips apart.
const SIGMA_PER_LONG_SIDE_PX: f32 = 1.5 / 1024.0;

/// Smallest narrow-Gaussian standard deviation, in pixels.
const MIN_SIGMA_PX: f32 = 1.0;

/// Share of pixels darker than the 1st percentile or brighter than the 99th that the contrast stretch
/// clips, so a few specular highlights or black borders do not decide the tonal range.
const STRETCH_CLIP_FRACTION: f32 = 0.01;

/// Smallest tonal range the contrast stretch maps to full scale, in grey levels.
///
/// A flat wall photographed with a little sensor noise has a range of a few levels; stretching it
/// fully would turn the noise into lines.
const MIN_STRETCH_RANGE_LEVELS: u32 = 24;

/// Share of all pixels that the strong threshold keeps as ridge pixels on a busy photo, chosen by eye
/// on the sample portraits.
const STRONG_RIDGE_FRACTION: f32 = 0.03;

/// Response floor of the strong threshold, as a fraction of full scale after stretching.
///
/// A step edge of about 11 % contrast reaches it, because its peak response is 0.11 times the contrast
/// for a sigma ratio of 1.6. Weaker edges only become ink next to strong ones, through the weak
/// threshold.
const MIN_STRONG_RESPONSE: f32 = 0.012;

/// Weak threshold as a fraction of the strong one: weak pixels are kept only when connected to strong
/// ones, so lines stay continuous through faint stretches without picking up isolated texture.
const WEAK_TO_STRONG_RATIO: f32 = 0.4;

/// The strong threshold is at least this many standard deviations of the response's noise, so
/// texture and sensor noise stay below it (a Gaussian exceeds 4 sigma at 3 pixels in 100,000).
const NOISE_THRESHOLD_FACTOR: f32 = 4.0;

/// A binary image of one-pixel-wide lines with a one-pixel empty border, so neighbour lookups never
/// leave the buffer.
pub(crate) struct Skeleton {
    /// Width including the border, in pixels.
    pub stride: usize,
    /// One byte per pixel, 1 for ink and 0 for paper.
    pub ink: Vec<u8>,
}

impl Skeleton {
    /// Offsets of the eight neighbours, the four edge neighbours (N, E, S, W) first.
    pub fn neighbour_offsets(&self) -> [isize; 8] {
        let stride = self.stride as isize;
        [-stride, 1, stride, -1, -stride + 1, stride + 1, stride - 1, -stride - 1]
    }

    /// Returns the eight neighbours of `index` (1 for ink), clockwise from north, as Zhang–Suen
    /// numbers them P2..P9.
    pub fn ring(&self, index: usize) -> [u8; 8] {
        let [north, east, south, west, north_east, south_east, south_west, north_west] =
            self.neighbour_offsets();
        [north, north_east, east, south_east, south, south_west, west, north_west]
            .map(|offset| self.ink[index.wrapping_add_signed(offset)])
    }

    /// Returns the buffer indices of the ink pixels around `index`.
    pub fn ink_neighbours(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.neighbour_offsets()
            .into_iter()
            .map(move |offset| index.wrapping_add_signed(offset))
            .filter(|&neighbour| self.ink[neighbour] != 0)
    }

    /// Returns the image coordinates of the pixel at buffer index `index`, which must not be in the
    /// border.
    pub fn coordinates(&self, index: usize) -> (usize, usize) {
        (index % self.stride - 1, index / self.stride - 1)
    }

    /// Returns the number of ink pixels.
    #[cfg(test)]
    pub fn ink_count(&self) -> usize {
        self.ink.iter().filter(|&&pixel| pixel != 0).count()
    }
}

/// Extracts the line skeleton of a working-size grayscale image.
pub(crate) fn extract_skeleton(gray: &GrayImage) -> Skeleton {
    let stretched = stretch_contrast(gray);
    let response = dog_response(&stretched);
    let mut skeleton = hysteresis_threshold(&response, gray.width() as usize, gray.height() as usize);
    thin_zhang_suen(&mut skeleton);
    remove_staircase_corners(&mut skeleton);
    prune_spurs(&mut skeleton);
    skeleton
}

/// Maps the 1st..99th percentile of grey levels to 0..1, so bright and dark photos get the same
/// thresholds as well-exposed ones.
fn stretch_contrast(gray: &GrayImage) -> ImageBuffer<Luma<f32>, Vec<f32>> {
    let mut histogram = [0u32; 256];
    for &level in gray.as_raw() {
        histogram[usize::from(level)] += 1;
    }

    let total = gray.as_raw().len() as f32;
    let clip = (total * STRETCH_CLIP_FRACTION) as u32;
    let low = percentile_level(histogram.iter().copied(), clip);
    let high = 255 - percentile_level(histogram.iter().rev().copied(), clip);

    // Widen a narrow range around its middle instead of amplifying noise.
    let (mut low, mut high) = (low as f32, high.max(low) as f32);
    let min_range = MIN_STRETCH_RANGE_LEVELS as f32;
    if high - low < min_range {
        let middle = (low + high) / 2.0;
        low = middle - min_range / 2.0;
        high = middle + min_range / 2.0;
    }

    let scale = 1.0 / (high - low);
    let lookup: Vec<f32> = (0..256).map(|level| ((level as f32 - low) * scale).clamp(0.0, 1.0)).collect();
    let values = gray.as_raw().iter().map(|&level| lookup[usize::from(level)]).collect();
    ImageBuffer::from_raw(gray.width(), gray.height(), values).expect("buffer length matches dimensions")
}

/// Returns the first level at which the running count of `histogram` exceeds `clip`.
fn percentile_level(histogram: impl Iterator<Item = u32>, clip: u32) -> u32 {
    let mut seen = 0;
    for (level, count) in histogram.enumerate() {
        seen += count;
        if seen > clip {
            return level as u32;
        }
    }
    255
}

/// Returns how much darker each pixel is than its surroundings: the wide blur minus the narrow blur.
fn dog_response(stretched: &ImageBuffer<Luma<f32>, Vec<f32>>) -> Vec<f32> {
    let long_side = stretched.width().max(stretched.height()) as f32;
    let sigma = (long_side * SIGMA_PER_LONG_SIDE_PX).max(MIN_SIGMA_PX);
    let narrow = gaussian_blur_f32(stretched, sigma);
    let wide = gaussian_blur_f32(stretched, sigma * DOG_SIGMA_RATIO);
    wide.as_raw().iter().zip(narrow.as_raw()).map(|(wide, narrow)| wide - narrow).collect()
}

/// Keeps the ridge of the response above adaptive thresholds: pixels that are a local maximum across
/// the line, strong ones and the weak ones connected to them (as Canny does with gradient magnitudes).
fn hysteresis_threshold(response: &[f32], width: usize, height: usize) -> Skeleton {
    debug_assert_eq!(response.len(), width * height);
    let stride = width + 2;
    let rows = height + 2;
    let mut skeleton = Skeleton { stride, ink: vec![0; stride * rows] };
    let offsets = skeleton.neighbour_offsets();

    // Lay the response out like the skeleton, with a border that is never a ridge.
    let mut padded = vec![f32::NEG_INFINITY; stride * rows];
    for (y, row) in response.chunks_exact(width).enumerate() {
        padded[(y + 1) * stride + 1..(y + 1) * stride + 1 + width].copy_from_slice(row);
    }

    // Non-maximum suppression: a ridge pixel is a maximum along at least one of the four directions.
    // Taking the ridge, not the whole band above the threshold, puts the line on the edge's darkest
    // response (about 1.2 sigma inside a step edge) whatever the band's width.
    let ridge: Vec<bool> = (0..padded.len())
        .map(|index| {
            let value = padded[index];
            value > 0.0
                && [1, stride, stride + 1, stride - 1].iter().any(|&step| {
                    let (before, after) =
                        (padded[index.saturating_sub(step)], padded[(index + step).min(padded.len() - 1)]);
                    (value > before && value >= after) || (value >= before && value > after)
                })
        })
        .collect();

    // The strong threshold keeps the strongest ridge pixels, as many as STRONG_RIDGE_FRACTION of all
    // pixels. It never goes below the absolute floor or the noise floor, so a clean drawing on white
    // keeps only its lines and a flat or noisy image keeps nothing.
    let floor = MIN_STRONG_RESPONSE.max(NOISE_THRESHOLD_FACTOR * noise_sigma(response));
    let mut candidates: Vec<f32> = (0..padded.len())
        .filter(|&index| ridge[index] && padded[index] > floor)
        .map(|index| padded[index])
        .collect();
    let strong_count = (response.len() as f32 * STRONG_RIDGE_FRACTION) as usize;
    let strong = if candidates.len() > strong_count {
        let rank = candidates.len() - strong_count;
        *candidates.select_nth_unstable_by(rank, f32::total_cmp).1
    } else {
        floor
    };
    let weak = strong * WEAK_TO_STRONG_RATIO;

    // Seed with strong ridge pixels, then follow the ridge through weak ones.
    let mut queue: Vec<usize> =
        (0..padded.len()).filter(|&index| ridge[index] && padded[index] > strong).collect();
    for &index in &queue {
        skeleton.ink[index] = 1;
    }
    while let Some(index) = queue.pop() {
        for offset in offsets {
            let neighbour = index.wrapping_add_signed(offset);
            if skeleton.ink[neighbour] == 0 && ridge[neighbour] && padded[neighbour] > weak {
                skeleton.ink[neighbour] = 1;
                queue.push(neighbour);
            }
        }
    }
    skeleton
}

/// Estimates the standard deviation of the response's noise from the first quartile of its absolute
/// value: for a Gaussian, a quarter of |x| lies below 0.3186 sigma. The quietest quarter of a photo
/// is smooth areas where only noise remains, even when texture or pattern fills most of the frame
/// (a median would count that texture as noise). Every fourth pixel is enough for the estimate.
///
/// NOTE: an image with no quiet quarter, such as a fine pattern filling the whole frame, is taken for
/// noise, and extraction then reports no lines.
fn noise_sigma(response: &[f32]) -> f32 {
    let mut magnitudes: Vec<f32> = response.iter().step_by(4).map(|value| value.abs()).collect();
    if magnitudes.is_empty() {
        return 0.0;
    }
    let quartile = magnitudes.len() / 4;
    let first_quartile = *magnitudes.select_nth_unstable_by(quartile, f32::total_cmp).1;
    first_quartile / 0.3186
}

/// Thins ink to one-pixel-wide, 8-connected lines with Zhang–Suen thinning, keeping line ends.
fn thin_zhang_suen(skeleton: &mut Skeleton) {
    let mut candidates: Vec<usize> =
        (0..skeleton.ink.len()).filter(|&index| skeleton.ink[index] != 0).collect();
    let mut removals = Vec::new();

    loop {
        let mut changed = false;
        for sub_iteration in 0..2 {
            removals.clear();
            for &index in &candidates {
                if skeleton.ink[index] == 0 {
                    continue;
                }
                let p = skeleton.ring(index);
                let neighbours: u8 = p.iter().sum();
                let transitions = (0..8).filter(|&k| p[k] == 0 && p[(k + 1) % 8] != 0).count();
                // P2·P4·P6 and P4·P6·P8 in the first sub-iteration, P2·P4·P8 and P2·P6·P8 in the second.
                let (north, east, south, west) = (p[0], p[2], p[4], p[6]);
                let side_open = if sub_iteration == 0 {
                    north * east * south == 0 && east * south * west == 0
                } else {
                    north * east * west == 0 && north * south * west == 0
                };
                if (2..=6).contains(&neighbours) && transitions == 1 && side_open {
                    removals.push(index);
                }
            }
            for &index in &removals {
                skeleton.ink[index] = 0;
            }
            changed |= !removals.is_empty();
        }
        candidates.retain(|&index| skeleton.ink[index] != 0);
        if !changed {
            break;
        }
    }
}

/// Removes the inner corner pixel of each staircase step (a pixel with ink on two perpendicular edge
/// sides, such as north and east), which Zhang–Suen leaves behind. Without it the corner looks like a
/// branch point to the tracer. A pixel is removed only when it is simple (its ink neighbours form one
/// 8-connected group, Hilditch's connectivity number is 1), so lines never break, and never at a line end.
fn remove_staircase_corners(skeleton: &mut Skeleton) {
    for index in 0..skeleton.ink.len() {
        if skeleton.ink[index] == 0 {
            continue;
        }
        let p = skeleton.ring(index);
        let neighbours: u8 = p.iter().sum();
        let perpendicular_pair = (0..8).step_by(2).any(|k| p[k] != 0 && p[(k + 2) % 8] != 0);
        if neighbours >= 2 && perpendicular_pair && connectivity_number(&p) == 1 {
            skeleton.ink[index] = 0;
        }
    }
}

/// Maximum length, in pixels, of a branch that [`prune_spurs`] removes where it leaves a line.
const MAX_SPUR_LENGTH_PX: usize = 5;

/// Removes spurs: branches of at most [`MAX_SPUR_LENGTH_PX`] pixels from a line end to a junction.
/// Thinning leaves them where a line's edge is ragged, and traced they would show as ticks on the
/// line or split it at the junction.
fn prune_spurs(skeleton: &mut Skeleton) {
    let line_ends: Vec<usize> = (0..skeleton.ink.len())
        .filter(|&index| skeleton.ink[index] != 0 && skeleton.ink_neighbours(index).count() == 1)
        .collect();

    for end in line_ends {
        // Walk from the end along the simple line, at most MAX_SPUR_LENGTH_PX pixels.
        let mut branch = vec![end];
        let reaches_junction = loop {
            let current = branch[branch.len() - 1];
            let onward: Vec<usize> =
                skeleton.ink_neighbours(current).filter(|n| !branch.contains(n)).collect();
            match onward.as_slice() {
                // An isolated short line, not a branch: tracing drops it if it is a speck.
                [] => break false,
                // The next pixel is a junction: it has three or more separate groups of ink around it.
                [next] if connectivity_number(&skeleton.ring(*next)) >= 3 => break true,
                [next] if branch.len() < MAX_SPUR_LENGTH_PX => branch.push(*next),
                [_] => break false,
                // The branch has reached the side of another line.
                _ => break true,
            }
        };

        if reaches_junction {
            for index in branch {
                skeleton.ink[index] = 0;
            }
        }
    }
}

/// Hilditch's 8-connectivity number of a pixel: the count of separate ink groups among its
/// neighbours, given clockwise from north. Removing a pixel whose number is 1 keeps lines connected.
fn connectivity_number(ring: &[u8; 8]) -> u8 {
    let paper = ring.map(|pixel| 1 - pixel);
    (0..8).step_by(2).map(|k| paper[k] - paper[k] * paper[k + 1] * paper[(k + 2) % 8]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton_from(rows: &[&str]) -> Skeleton {
        let (width, height) = (rows[0].len(), rows.len());
        let stride = width + 2;
        let mut ink = vec![0; stride * (height + 2)];
        for (y, row) in rows.iter().enumerate() {
            for (x, cell) in row.bytes().enumerate() {
                ink[(y + 1) * stride + x + 1] = u8::from(cell == b'#');
            }
        }
        Skeleton { stride, ink }
    }

    #[test]
    fn thinning_reduces_thick_bar_to_one_pixel_line() {
        let mut skeleton = skeleton_from(&[
            "..........",
            ".########.",
            ".########.",
            ".########.",
            ".########.",
            "..........",
        ]);
        thin_zhang_suen(&mut skeleton);
        // Every column of the bar keeps at most one pixel, and the line is not erased.
        for x in 2..8 {
            let column = (0..skeleton.ink.len() / skeleton.stride)
                .filter(|&y| skeleton.ink[y * skeleton.stride + x + 1] != 0)
                .count();
            assert!(column <= 1, "column {x} kept {column} pixels");
        }
        assert!(skeleton.ink_count() >= 4);
    }

    #[test]
    fn staircase_corner_is_removed_without_breaking_line() {
        let mut skeleton = skeleton_from(&["##...", ".##..", "..##."]);
        remove_staircase_corners(&mut skeleton);
        assert_eq!(skeleton.ink_count(), 4, "two corner pixels go, four diagonal ones stay");
    }

    #[test]
    fn spur_is_pruned_and_line_is_kept() {
        // A 25-pixel line with a two-pixel tick above its middle.
        let mut skeleton = skeleton_from(&[
            "............#............", //
            "............#............",
            "#########################",
        ]);
        prune_spurs(&mut skeleton);
        assert_eq!(skeleton.ink_count(), 25, "the tick goes, the line stays");
    }

    #[test]
    fn flat_image_gives_no_ink() {
        let gray = GrayImage::from_pixel(64, 64, Luma([200]));
        assert_eq!(extract_skeleton(&gray).ink_count(), 0);
    }
}
