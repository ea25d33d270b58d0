//! Conversion of frames to the YUV 4:2:0 planes an H.264 encoder takes.
//!
//! The conversion is BT.601 in limited range: luma (Y) from 16 (black) to 235 (white), chroma (U = Cb,
//! V = Cr) from 16 to 240 around 128. Each chroma sample is computed from the average of a 2×2 block
//! of pixels. The arithmetic is integer fixed point, rounded to nearest: 8 fraction bits for luma (so
//! it runs in 16-bit lanes) and 16 for chroma.

use crate::render::Frame;

/// Cb weights of R, G and B: -37.797, -74.203 and 112.0 (scaled to 224 levels), times 2^16 / 255.
/// They sum to zero, so grey has no chroma.
const U_WEIGHTS: [i32; 3] = [-9_714, -19_071, 28_785];

/// Cr weights of R, G and B: 112.0, -93.786 and -18.214, times 2^16 / 255; they sum to zero.
const V_WEIGHTS: [i32; 3] = [28_785, -24_103, -4_682];

const FRACTION_BITS: u32 = 16;

/// Converts a frame to YUV 4:2:0 planes (see [`rgba_to_yuv420`]).
///
/// # Panics
///
/// Panics when a plane has the wrong length (see [`rgba_to_yuv420`]).
pub fn rgb_to_yuv420(frame: &Frame, y: &mut [u8], u: &mut [u8], v: &mut [u8]) {
    rgba_to_yuv420(frame.width(), frame.height(), frame.rgba(), y, u, v);
}

/// Converts opaque RGBA pixels (4 bytes per pixel, rows from the top, alpha ignored) of an image with
/// even `width` and `height` to YUV 4:2:0 planes: `y` of `width × height` bytes, `u` and `v` of
/// `width/2 × height/2` bytes each, all without row padding.
///
/// # Panics
///
/// Panics when `width` or `height` is odd or when a buffer length does not match the size.
pub fn rgba_to_yuv420(width: u32, height: u32, rgba: &[u8], y: &mut [u8], u: &mut [u8], v: &mut [u8]) {
    assert!(
        width.is_multiple_of(2) && height.is_multiple_of(2),
        "image is {width}x{height} px; both sides must be even"
    );
    let (width, height) = (width as usize, height as usize);
    let chroma_len = width / 2 * (height / 2);
    assert_eq!(rgba.len(), width * height * 4, "RGBA buffer length does not match {width}x{height} px");
    assert_eq!(y.len(), width * height, "Y plane length does not match {width}x{height} px");
    assert_eq!(u.len(), chroma_len, "U plane length does not match {width}x{height} px at 4:2:0");
    assert_eq!(v.len(), chroma_len, "V plane length does not match {width}x{height} px at 4:2:0");
    if width == 0 || height == 0 {
        return;
    }

    // Luma: one value per pixel, in 16-bit lanes so the compiler can vectorise the loop with SSE2.
    let mut pixel_blocks = rgba.chunks_exact(4 * LUMA_BLOCK);
    let mut luma_blocks = y.chunks_exact_mut(LUMA_BLOCK);
    for (pixels, luma_values) in (&mut pixel_blocks).zip(&mut luma_blocks) {
        for (pixel, luma_value) in pixels.chunks_exact(4).zip(luma_values.iter_mut()) {
            *luma_value = luma_u16(pixel[0], pixel[1], pixel[2]);
        }
    }
    let leftover_pixels = pixel_blocks.remainder().chunks_exact(4);
    for (pixel, luma_value) in leftover_pixels.zip(luma_blocks.into_remainder()) {
        *luma_value = luma_u16(pixel[0], pixel[1], pixel[2]);
    }

    // Chroma: one value per 2×2 block, from the sum of its four pixels.
    let row_bytes = width * 4;
    let row_pairs = rgba.chunks_exact(2 * row_bytes);
    let chroma_rows = u.chunks_exact_mut(width / 2).zip(v.chunks_exact_mut(width / 2));
    for (row_pair, (u_row, v_row)) in row_pairs.zip(chroma_rows) {
        let (top, bottom) = row_pair.split_at(row_bytes);
        let blocks = top.chunks_exact(8).zip(bottom.chunks_exact(8));
        for ((top_pair, bottom_pair), (u_value, v_value)) in
            blocks.zip(u_row.iter_mut().zip(v_row.iter_mut()))
        {
            let sum = |channel: usize| {
                i32::from(top_pair[channel])
                    + i32::from(top_pair[channel + 4])
                    + i32::from(bottom_pair[channel])
                    + i32::from(bottom_pair[channel + 4])
            };
            let rgb_sum = [sum(0), sum(1), sum(2)];
            *u_value = chroma(rgb_sum, U_WEIGHTS);
            *v_value = chroma(rgb_sum, V_WEIGHTS);
        }
    }
}

/// Pixels per block of the luma loop: a fixed inner trip count the compiler can vectorise.
const LUMA_BLOCK: usize = 8;

/// Luma weights of R, G and B in 8 fraction bits (the usual integer BT.601 form): 66, 129 and 25.
/// Their weighted sum at 255 stays below 2^16, so the sum fits a `u16` lane.
const Y_WEIGHTS_8: [u16; 3] = [66, 129, 25];

#[inline(always)]
fn luma_u16(r: u8, g: u8, b: u8) -> u8 {
    let weighted =
        Y_WEIGHTS_8[0] * u16::from(r) + Y_WEIGHTS_8[1] * u16::from(g) + Y_WEIGHTS_8[2] * u16::from(b);
    // At most 56100 + 128 + 4096, so no overflow; the result is within 16..=235.
    ((weighted + 128 + (16 << 8)) >> 8) as u8
}

fn chroma(rgb_sum: [i32; 3], weights: [i32; 3]) -> u8 {
    let weighted = weights[0] * rgb_sum[0] + weights[1] * rgb_sum[1] + weights[2] * rgb_sum[2];
    let shift = FRACTION_BITS + 2;
    // The weights span 224 levels around zero, so the result is within 16..=240.
    (128 + ((weighted + (1 << (shift - 1))) >> shift)) as u8
}
