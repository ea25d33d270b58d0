//! Full-size decoded pixels to the grayscale working image.
//!
//! Lines are extracted at a fixed scale so that thresholds, blur radii and stroke spacing mean the same
//! on every photo: the long side is at most [`WORKING_MAX_SIDE_PX`], and images smaller than
//! [`WORKING_MIN_SIDE_PX`] are enlarged.

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, RgbaImage};

/// Maximum long side of the working image, in pixels.
pub const WORKING_MAX_SIDE_PX: u32 = 1024;

/// Shortest long side of the working image, in pixels: smaller photos are enlarged to it, since line
/// extraction needs a few pixels between neighbouring features.
pub const WORKING_MIN_SIDE_PX: u32 = 512;

/// Converts a decoded image to grayscale at working size, compositing transparency over white.
///
/// A large image is reduced straight to working size with a box filter: each full-size pixel adds
/// to exactly one working pixel, and luminance is computed per block rather than per pixel (it is
/// linear in the channels). That pass reads each full-size pixel once and vectorises, and an opaque
/// 12-megapixel photo never gets a second full-size buffer. Small images are enlarged afterwards.
pub(crate) fn to_working_gray(image: DynamicImage) -> GrayImage {
    let (width, height) = (image.width(), image.height());
    let (target_width, target_height) = working_size(width, height);
    let (box_width, box_height) = (target_width.min(width), target_height.min(height));

    let gray = match image {
        DynamicImage::ImageLuma8(pixels) => {
            box_reduce(pixels.as_raw(), (width, height), (box_width, box_height), GRAY_WEIGHTS)
        }
        DynamicImage::ImageRgb8(pixels) => {
            box_reduce(pixels.as_raw(), (width, height), (box_width, box_height), RGB_WEIGHTS)
        }
        // Compositing over white is not linear in the channels, so transparent images are composited
        // at full size first. Alpha is rare in photos, so the extra buffer is rarely paid for.
        other if other.color().has_alpha() => {
            let composited = composite_over_white(&other.into_rgba8());
            box_reduce(&composited, (width, height), (box_width, box_height), GRAY_WEIGHTS)
        }
        // 16-bit and float images: convert to 8 bits first (also rare).
        other => {
            box_reduce(other.into_rgb8().as_raw(), (width, height), (box_width, box_height), RGB_WEIGHTS)
        }
    };

    if (box_width, box_height) == (target_width, target_height) {
        gray
    } else {
        imageops::resize(&gray, target_width, target_height, FilterType::CatmullRom)
    }
}

/// Returns the working size for an image: the long side clamped to
/// [`WORKING_MIN_SIDE_PX`]..=[`WORKING_MAX_SIDE_PX`], the aspect ratio kept.
fn working_size(width: u32, height: u32) -> (u32, u32) {
    let long_side = width.max(height);
    let target = long_side.clamp(WORKING_MIN_SIDE_PX, WORKING_MAX_SIDE_PX);
    if target == long_side {
        return (width, height);
    }
    let scale = f64::from(target) / f64::from(long_side);
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    (scaled(width), scaled(height))
}

/// Luminance weights scaled by 256 for one gray channel.
const GRAY_WEIGHTS: [u32; 1] = [256];

/// Luminance weights scaled by 256 for R, G and B: BT.709 (54 + 183 + 19 = 256), as `image` uses for
/// `to_luma8`.
const RGB_WEIGHTS: [u32; 3] = [54, 183, 19];

/// Returns the luminance of each pixel after compositing it with its straight alpha over white.
fn composite_over_white(rgba: &RgbaImage) -> Vec<u8> {
    rgba.pixels()
        .map(|pixel| {
            let [red, green, blue, alpha] = pixel.0.map(u32::from);
            let luma = RGB_WEIGHTS[0] * red + RGB_WEIGHTS[1] * green + RGB_WEIGHTS[2] * blue;
            let composited = (luma * alpha + 255 * 256 * (255 - alpha)) / 255;
            ((composited + 128) / 256) as u8
        })
        .collect()
}

/// Averages the luminance of blocks of `raw` (of size `from`) into an image of size `to`, which must
/// be no larger in either direction. Block edges fall on the rounded multiples of the scale, so blocks
/// differ in size by at most one pixel.
///
/// `raw` contains `CHANNELS` bytes per pixel, and `weights` gives each channel's share of the
/// luminance, scaled by 256.
fn box_reduce<const CHANNELS: usize>(
    raw: &[u8],
    from: (u32, u32),
    to: (u32, u32),
    weights: [u32; CHANNELS],
) -> GrayImage {
    let (width, height) = (from.0 as usize, from.1 as usize);
    let (out_width, out_height) = (to.0 as usize, to.1 as usize);
    let row_len = width * CHANNELS;
    let column_edges = block_edges(width, out_width);
    let row_edges = block_edges(height, out_height);
    let mut out = Vec::with_capacity(out_width * out_height);
    // Per channel of each full-size column, the sum over the rows of the current block row.
    let mut column_sums = vec![0u32; row_len];

    for rows in row_edges.windows(2) {
        let (top, bottom) = (rows[0], rows[1]);

        // Add up the block row channel by channel.
        column_sums.fill(0);
        for row in raw[top * row_len..bottom * row_len].chunks_exact(row_len) {
            for (sum, &value) in column_sums.iter_mut().zip(row) {
                *sum += u32::from(value);
            }
        }

        // Add up each block's columns, weighting the channels into luminance.
        for columns in column_edges.windows(2) {
            let (left, right) = (columns[0], columns[1]);
            let weighted: u32 = column_sums[left * CHANNELS..right * CHANNELS]
                .chunks_exact(CHANNELS)
                .map(|channels| channels.iter().zip(weights).map(|(sum, weight)| sum * weight).sum::<u32>())
                .sum();
            let count = ((right - left) * (bottom - top)) as u32 * 256;
            out.push(((weighted + count / 2) / count) as u8);
        }
    }

    GrayImage::from_raw(to.0, to.1, out).expect("buffer length matches dimensions")
}

/// Returns `blocks + 1` increasing edges that split `0..length` into `blocks` non-empty runs
/// (`length >= blocks`).
fn block_edges(length: usize, blocks: usize) -> Vec<usize> {
    (0..=blocks).map(|block| (block * length + blocks / 2) / blocks).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    #[test]
    fn large_image_is_reduced_to_max_working_side() {
        let image = RgbImage::from_pixel(4000, 3000, Rgb([200, 100, 50]));
        let gray = to_working_gray(DynamicImage::ImageRgb8(image));
        assert_eq!(gray.dimensions(), (WORKING_MAX_SIDE_PX, 768));
        let expected = ((54 * 200 + 183 * 100 + 19 * 50) as f32 / 256.0).round() as i32;
        assert!((i32::from(gray.get_pixel(500, 400)[0]) - expected).abs() <= 1);
    }

    #[test]
    fn small_image_is_enlarged_to_min_working_side() {
        let image = GrayImage::from_pixel(100, 50, image::Luma([7]));
        let gray = to_working_gray(DynamicImage::ImageLuma8(image));
        assert_eq!(gray.dimensions(), (WORKING_MIN_SIDE_PX, 256));
    }

    #[test]
    fn mid_size_image_keeps_its_size() {
        let image = GrayImage::from_pixel(800, 600, image::Luma([7]));
        let gray = to_working_gray(DynamicImage::ImageLuma8(image));
        assert_eq!(gray.dimensions(), (800, 600));
    }

    #[test]
    fn transparency_is_composited_over_white() {
        let mut image = RgbaImage::from_pixel(600, 600, Rgba([0, 0, 0, 0]));
        image.put_pixel(0, 0, Rgba([0, 0, 0, 255]));
        let gray = to_working_gray(DynamicImage::ImageRgba8(image));
        assert_eq!(gray.get_pixel(300, 300)[0], 255, "transparent black must read as white");
        assert_eq!(gray.get_pixel(0, 0)[0], 0, "opaque black must stay black");
    }

    #[test]
    fn box_reduce_averages_uneven_blocks() {
        // 5x1 pixels into 3: the edges fall at 0, 2, 3 and 5, so the blocks are [0, 100], [200] and
        // [200, 50].
        let raw = [0, 100, 200, 200, 50];
        let gray = box_reduce(&raw, (5, 1), (3, 1), GRAY_WEIGHTS);
        assert_eq!(gray.as_raw(), &vec![50, 200, 125]);
    }

    #[test]
    fn block_edges_cover_every_pixel_once() {
        for (length, blocks) in [(4000, 1024), (1025, 1024), (20_000, 1024), (7, 7)] {
            let edges = block_edges(length, blocks);
            assert_eq!(edges.len(), blocks + 1);
            assert_eq!((edges[0], edges[blocks]), (0, length));
            assert!(edges.windows(2).all(|pair| pair[1] > pair[0]), "empty block for {length} into {blocks}");
        }
    }
}
