//! Format detection from the leading bytes ("magic numbers"), never from a file name or content type.
//!
//! Besides the four supported formats it names the common unsupported ones, so a visitor who uploads
//! a HEIC photo from a phone learns why it was rejected.

use image::ImageFormat;

use crate::PhotoError;

/// Detects a supported format, or returns [`PhotoError::UnsupportedFormat`] naming what the bytes are.
pub(crate) fn detect_format(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    match supported_format(bytes) {
        Some(format) => Ok(format),
        None => Err(PhotoError::UnsupportedFormat { format: unsupported_format_name(bytes) }),
    }
}

/// Returns the name used for `format` in error messages.
pub(crate) fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        _ => "image",
    }
}

fn supported_format(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// Names an unsupported format from its signature, or returns `None` when nothing matches.
fn unsupported_format_name(bytes: &[u8]) -> Option<&'static str> {
    let starts = |signature: &[u8]| bytes.starts_with(signature);

    // A BMP file header: "BM", the file size, then four reserved bytes that are zero.
    if starts(b"BM") && bytes.len() >= 10 && bytes[6..10] == [0, 0, 0, 0] {
        return Some("BMP");
    }
    if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        return Some("TIFF");
    }
    if let Some(name) = iso_media_name(bytes) {
        return Some(name);
    }
    if starts(b"%PDF-") {
        return Some("PDF");
    }
    if starts(b"8BPS") {
        return Some("PSD");
    }
    if starts(&[0, 0, 1, 0]) && bytes.len() >= 6 && bytes[4..6] != [0, 0] {
        return Some("ICO");
    }
    if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Some("JPEG XL");
    }
    if starts(b"\0\0\0\x0cjP  \r\n\x87\n") || starts(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return Some("JPEG 2000");
    }
    if starts(b"qoif") {
        return Some("QOI");
    }
    if starts(&[0x76, 0x2F, 0x31, 0x01]) {
        return Some("OpenEXR");
    }
    if starts(b"#?RADIANCE") || starts(b"#?RGBE") {
        return Some("Radiance HDR");
    }
    if starts(b"DDS ") {
        return Some("DDS");
    }
    if starts(b"farbfeld") {
        return Some("farbfeld");
    }
    // PNM: "P1" to "P7" followed by whitespace.
    if bytes.len() >= 3
        && bytes[0] == b'P'
        && (b'1'..=b'7').contains(&bytes[1])
        && bytes[2].is_ascii_whitespace()
    {
        return Some("PNM");
    }
    if looks_like_svg(bytes) {
        return Some("SVG");
    }
    None
}

/// Names an ISO base media file (the HEIF family and MP4) from the brands of its `ftyp` box.
fn iso_media_name(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let box_end = box_len.clamp(16, bytes.len().min(256));

    // The major brand at 8..12, then the minor version, then the compatible brands.
    let major = &bytes[8..12];
    let compatible = bytes[16..box_end].chunks_exact(4);
    let brands: Vec<&[u8]> = std::iter::once(major).chain(compatible).collect();
    let has = |names: &[&[u8; 4]]| brands.iter().any(|brand| names.iter().any(|name| *brand == &name[..]));

    if has(&[b"avif", b"avis"]) {
        Some("AVIF")
    } else if has(&[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"]) {
        Some("HEIC")
    } else if has(&[b"crx "]) {
        Some("CR3 camera raw")
    } else {
        Some("MP4 or QuickTime video")
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(head.len());
    let head = &head[start..];
    head.starts_with(b"<svg")
        || (head.starts_with(b"<?xml") && head.windows(4).any(|window| window == b"<svg"))
}

/// Reports whether a WebP file is shorter than its RIFF header declares.
///
/// The WebP decoder reports a cut-off file as a bit-stream error, the same as corrupt data, so the
/// length is checked here to tell the two apart.
pub(crate) fn webp_is_truncated(bytes: &[u8]) -> bool {
    let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    // The RIFF size counts everything after the 8-byte RIFF chunk header.
    bytes.len() < declared.saturating_add(8)
}

/// Reports whether a JPEG stream ends before its End Of Image marker.
///
/// The JPEG decoder (zune-jpeg through `image`) fills a cut-off scan with grey instead of failing, so a
/// half-uploaded photo would otherwise be drawn with a flat lower part. This walks the marker segments
/// and the entropy-coded data of each scan until EOI; bytes after EOI (such as the video that motion
/// photos append) are ignored.
///
/// NOTE: a complete scan whose encoder omitted EOI is reported as truncated too, although the decoder
/// could draw it.
pub(crate) fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    // Skip SOI.
    let mut pos = 2;
    loop {
        // Find the next marker, skipping anything that is not 0xFF as the lenient decoder does.
        let Some(offset) = bytes[pos.min(bytes.len())..].iter().position(|&byte| byte == 0xFF) else {
            return true;
        };
        pos += offset;
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return true;
        };
        pos += 1;

        match marker {
            // End Of Image: the stream is complete.
            0xD9 => return false,
            // Markers without a length field: restart markers, TEM and a stray stuffed zero.
            0xD0..=0xD7 | 0x01 | 0x00 => continue,
            _ => {}
        }

        // A segment with a big-endian length that counts its own two bytes.
        let Some(length_bytes) = bytes.get(pos..pos + 2) else {
            return true;
        };
        let length = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
        pos += length;
        if pos > bytes.len() {
            return true;
        }

        // Start Of Scan: entropy-coded data follows until a marker other than RSTn or a stuffed 0xFF00.
        if marker == 0xDA {
            loop {
                let Some(offset) = bytes[pos..].iter().position(|&byte| byte == 0xFF) else {
                    return true;
                };
                pos += offset;
                match bytes.get(pos + 1) {
                    None => return true,
                    Some(0x00 | 0xD0..=0xD7) => pos += 2,
                    Some(0xFF) => pos += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_walk_accepts_minimal_stream_and_trailing_data() {
        // SOI, a comment segment, SOS with one byte of scan data containing a stuffed 0xFF00, EOI.
        let stream = [
            0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x03, b'x', 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF,
            0xD9,
        ];
        assert!(!jpeg_is_truncated(&stream));

        let mut with_trailer = stream.to_vec();
        with_trailer.extend_from_slice(b"appended video");
        assert!(!jpeg_is_truncated(&with_trailer));

        for cut in 3..stream.len() - 1 {
            assert!(jpeg_is_truncated(&stream[..cut]), "cut at {cut} was not reported as truncated");
        }
    }

    #[test]
    fn heif_brands_are_told_apart() {
        let ftyp = |major: &[u8; 4], compatible: &[u8; 4]| {
            let mut bytes = vec![0, 0, 0, 20];
            bytes.extend_from_slice(b"ftyp");
            bytes.extend_from_slice(major);
            bytes.extend_from_slice(&[0, 0, 0, 0]);
            bytes.extend_from_slice(compatible);
            bytes
        };
        assert_eq!(unsupported_format_name(&ftyp(b"mif1", b"avif")), Some("AVIF"));
        assert_eq!(unsupported_format_name(&ftyp(b"heic", b"mif1")), Some("HEIC"));
        assert_eq!(unsupported_format_name(&ftyp(b"isom", b"mp41")), Some("MP4 or QuickTime video"));
    }
}
