//! The error type for photos that cannot be turned into strokes.

use crate::decode::{MAX_DECODE_ALLOC_BYTES, MAX_DECODED_PIXELS, MAX_IMAGE_SIDE_PX, MAX_INPUT_BYTES};

const MIB: f64 = 1024.0 * 1024.0;

/// The reason [`crate::photo_to_strokes`] or [`crate::decode::decode_photo`] rejected a photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The input has no bytes at all.
    #[error("image is empty (0 bytes); send a JPEG, PNG, GIF or WebP file")]
    Empty,

    /// The input is longer than [`MAX_INPUT_BYTES`], so nothing was decoded.
    #[error(
        "image is {:.1} MiB ({len_bytes} bytes); the limit is {:.0} MiB ({MAX_INPUT_BYTES} bytes)",
        *len_bytes as f64 / MIB,
        MAX_INPUT_BYTES as f64 / MIB
    )]
    TooLarge {
        /// Length of the rejected input in bytes.
        len_bytes: usize,
    },

    /// The bytes are not JPEG, PNG, GIF or WebP.
    #[error(
        "unsupported image format {}; send a JPEG, PNG, GIF or WebP file",
        format.unwrap_or("(unknown: the bytes match no known image signature)")
    )]
    UnsupportedFormat {
        /// The format recognised from the leading bytes, such as "BMP" or "HEIC", if any.
        format: Option<&'static str>,
    },

    /// The header declares more pixels, or a longer side, than the decoder accepts.
    #[error(
        "image is {width}x{height} pixels ({:.1} megapixels); the limit is {} megapixels and {} pixels per side",
        (*width as f64) * (*height as f64) / 1e6,
        MAX_DECODED_PIXELS / 1_000_000,
        MAX_IMAGE_SIDE_PX
    )]
    DimensionsTooLarge {
        /// Width declared in the header, in pixels.
        width: u32,
        /// Height declared in the header, in pixels.
        height: u32,
    },

    /// The header declares a width or height of zero.
    #[error("image header declares {width}x{height} pixels; an image needs at least one pixel per side")]
    NoPixels {
        /// Width declared in the header, in pixels.
        width: u32,
        /// Height declared in the header, in pixels.
        height: u32,
    },

    /// Decoding would take more memory than [`MAX_DECODE_ALLOC_BYTES`].
    #[error(
        "{format} image needs more than {:.0} MiB of memory to decode; send a smaller image",
        MAX_DECODE_ALLOC_BYTES as f64 / MIB
    )]
    MemoryLimit {
        /// The detected container format.
        format: &'static str,
        /// The decoder's report.
        #[source]
        source: image::ImageError,
    },

    /// The data ends before the image does (an incomplete upload or a cut-off file).
    #[error("{format} image is truncated: the data ends before the image does; send the complete file")]
    Truncated {
        /// The detected container format.
        format: &'static str,
    },

    /// The data has the signature of a supported format but is not a valid image of it.
    #[error("{format} image is corrupt and cannot be decoded")]
    Corrupt {
        /// The detected container format.
        format: &'static str,
        /// The decoder's report.
        #[source]
        source: image::ImageError,
    },

    /// The image is valid but uses a variant of its format the decoder does not implement
    /// (for example arithmetic-coded or 12-bit JPEG).
    #[error(
        "{format} image uses a feature the decoder does not support; convert it to a baseline JPEG or PNG"
    )]
    UnsupportedFeature {
        /// The detected container format.
        format: &'static str,
        /// The decoder's report.
        #[source]
        source: image::ImageError,
    },

    /// The image decoded, but line extraction found nothing to draw (a blank or nearly flat image).
    #[error(
        "no lines found: the image is blank or has too little contrast to draw; send a photo with a visible subject"
    )]
    NoLinesFound,
}
