//! Photo bytes to a working-size grayscale image, with explicit limits for untrusted input.
//!
//! The order of checks is what keeps a hostile upload cheap: the byte length first, then the format
//! signature, then the dimensions from the header, then the memory the pixels need. Pixel memory is
//! only taken after all of them pass.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use crate::PhotoError;
use crate::format::{detect_format, format_name, jpeg_is_truncated, webp_is_truncated};
use crate::reduce::to_working_gray;

/// Maximum input length, in bytes (10 MiB). Longer input is rejected before any decoding.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;

/// Maximum image size, in pixels (width × height) as declared by the header.
///
/// A 10 MiB JPEG of a detailed photo contains roughly this many pixels (an estimate at 1.7 bits per
/// pixel).
pub const MAX_DECODED_PIXELS: u64 = 50_000_000;

/// Maximum width or height of an image, in pixels as declared by the header.
pub const MAX_IMAGE_SIDE_PX: u32 = 20_000;

/// Maximum memory for decoding, in bytes, including the decoded pixels.
///
/// A 50-megapixel RGBA image needs 200 MB, so this admits every 8-bit image within
/// [`MAX_DECODED_PIXELS`]. A 16-bit RGBA image is limited to about 33 megapixels.
///
/// NOTE: the decoded pixels are checked against this before they are allocated, and the PNG decoder
/// also counts its own buffers. The JPEG, GIF and WebP decoders ignore the limit for their working
/// buffers, so their peak can exceed it by those buffers (a fraction of the image size).
pub const MAX_DECODE_ALLOC_BYTES: u64 = 256 * 1024 * 1024;

/// Decodes a JPEG, PNG, GIF (first frame) or WebP (first frame) photo, applies its EXIF orientation
/// and returns it as grayscale at working size.
///
/// Transparent parts are composited over white, so a cut-out portrait on a transparent background
/// reads as a subject on paper rather than on black. The working size is described in
/// [`crate::reduce`]: the long side is at most 1024 pixels, and small images are enlarged to 512.
pub fn decode_photo(bytes: &[u8]) -> Result<GrayImage, PhotoError> {
    // Check the length before looking at the content.
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge { len_bytes: bytes.len() });
    }

    // Detect the format from the signature.
    let format = detect_format(bytes)?;
    let name = format_name(format);
    // Two decoders cannot tell a cut-off file from a damaged one, so check the structure for them.
    let truncated = match format {
        ImageFormat::Jpeg => jpeg_is_truncated(bytes),
        ImageFormat::WebP => webp_is_truncated(bytes),
        _ => false,
    };
    if truncated {
        return Err(PhotoError::Truncated { format: name });
    }

    // Parse the header only. The reader's limits carry just the memory budget, so that the dimension
    // check below, not the decoder's, reports the declared size.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(|error| classify_error(error, name))?;

    // Check the declared dimensions and the pixel memory before any pixel is allocated.
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    limits.max_image_width = Some(MAX_IMAGE_SIDE_PX);
    limits.max_image_height = Some(MAX_IMAGE_SIDE_PX);
    limits.reserve(decoder.total_bytes()).map_err(|error| classify_error(error, name))?;
    decoder.set_limits(limits).map_err(|error| classify_error(error, name))?;

    // A missing or unreadable EXIF block means the camera did not rotate the photo: the pixels are
    // drawn as stored rather than rejecting an otherwise good image.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);

    // Decode, then reduce at once so the full-size pixels are freed before line extraction.
    let full_size = DynamicImage::from_decoder(decoder).map_err(|error| classify_error(error, name))?;
    let working = to_working_gray(full_size);

    // Rotate the small image rather than the full-size one.
    let mut oriented = DynamicImage::ImageLuma8(working);
    oriented.apply_orientation(orientation);
    Ok(oriented.into_luma8())
}

fn check_dimensions(width: u32, height: u32) -> Result<(), PhotoError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_IMAGE_SIDE_PX || height > MAX_IMAGE_SIDE_PX || pixels > MAX_DECODED_PIXELS {
        return Err(PhotoError::DimensionsTooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::NoPixels { width, height });
    }
    Ok(())
}

/// Sorts a decoder error into the error kinds callers act on.
fn classify_error(error: ImageError, format: &'static str) -> PhotoError {
    match &error {
        ImageError::Limits(_) => PhotoError::MemoryLimit { format, source: error },
        ImageError::Unsupported(_) => PhotoError::UnsupportedFeature { format, source: error },
        _ if ends_early(&error) => PhotoError::Truncated { format },
        _ => PhotoError::Corrupt { format, source: error },
    }
}

/// Reports whether the decoder ran out of data, as opposed to finding invalid data.
fn ends_early(error: &ImageError) -> bool {
    let is_eof = |cause: &(dyn std::error::Error + 'static)| {
        let io_eof = cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io_error| io_error.kind() == std::io::ErrorKind::UnexpectedEof);
        let gif_eof =
            matches!(cause.downcast_ref::<gif::DecodingError>(), Some(gif::DecodingError::UnexpectedEof));
        io_eof || gif_eof
    };
    // `ImageError::source` skips an I/O error and returns that error's own source, so check it here.
    if let ImageError::IoError(io_error) = error {
        return io_error.kind() == std::io::ErrorKind::UnexpectedEof;
    }
    let mut cause = std::error::Error::source(error);
    while let Some(current) = cause {
        if is_eof(current) {
            return true;
        }
        cause = current.source();
    }
    false
}
