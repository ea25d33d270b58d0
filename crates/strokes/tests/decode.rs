//! Decoding: every supported format and pixel layout, EXIF orientation, the input limits, and the
//! error kind for each way an upload can be wrong.
//!
//! Inputs are generated here with `image`'s encoders (and `png` for palette images), except the CMYK
//! and progressive JPEGs, which `image` cannot write: those are small fixtures described in
//! `tests/fixtures/README.md`.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::gif::GifEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, Frame, GrayImage, ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use strokes::decode::{MAX_DECODE_ALLOC_BYTES, MAX_DECODED_PIXELS, MAX_IMAGE_SIDE_PX, MAX_INPUT_BYTES};
use strokes::reduce::{WORKING_MAX_SIDE_PX, WORKING_MIN_SIDE_PX};
use strokes::{PhotoError, decode_photo};

const ASTRONAUT_PNG: &[u8] = include_bytes!("../../../assets/samples/astronaut.png");
const CMYK_JPEG: &[u8] = include_bytes!("fixtures/astronaut-cmyk.jpg");
const PROGRESSIVE_JPEG: &[u8] = include_bytes!("fixtures/astronaut-progressive.jpg");

/// Width and height of the generated test image, in pixels (wider than tall, so rotations show).
const TEST_WIDTH: u32 = 96;
const TEST_HEIGHT: u32 = 64;

/// Where the black marker of [`marked_image`] sits, as a fraction of width and height.
const MARKER_CENTRE: (f32, f32) = (0.125, 0.25);

/// Builds a white image with one black square marker off-centre, so every flip and rotation moves
/// it somewhere else.
fn marked_image() -> RgbImage {
    let mut image = RgbImage::from_pixel(TEST_WIDTH, TEST_HEIGHT, Rgb([255, 255, 255]));
    let (centre_x, centre_y) =
        ((MARKER_CENTRE.0 * TEST_WIDTH as f32) as i32, (MARKER_CENTRE.1 * TEST_HEIGHT as f32) as i32);
    for y in centre_y - 6..centre_y + 6 {
        for x in centre_x - 6..centre_x + 6 {
            image.put_pixel(x as u32, y as u32, Rgb([0, 0, 0]));
        }
    }
    image
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("test image encodes");
    bytes.into_inner()
}

/// Returns the centroid of dark pixels as a fraction of width and height.
fn dark_centroid(gray: &GrayImage) -> (f32, f32) {
    let (mut sum_x, mut sum_y, mut count) = (0.0, 0.0, 0.0);
    for (x, y, pixel) in gray.enumerate_pixels() {
        if pixel[0] < 128 {
            sum_x += x as f32 + 0.5;
            sum_y += y as f32 + 0.5;
            count += 1.0;
        }
    }
    assert!(count > 0.0, "no dark pixels in the decoded image");
    (sum_x / count / gray.width() as f32, sum_y / count / gray.height() as f32)
}

fn assert_marker_at(gray: &GrayImage, expected: (f32, f32), case: &str) {
    let (x, y) = dark_centroid(gray);
    assert!(
        (x - expected.0).abs() < 0.03 && (y - expected.1).abs() < 0.03,
        "{case}: marker at ({x:.3}, {y:.3}), expected ({:.3}, {:.3})",
        expected.0,
        expected.1
    );
}

/// Checks the decoded marked image: working size (long side enlarged to the minimum), marker in place.
fn assert_marked_image_decoded(bytes: &[u8], case: &str) {
    let gray = decode_photo(bytes).unwrap_or_else(|error| panic!("{case}: {error}"));
    assert_eq!(gray.dimensions(), (WORKING_MIN_SIDE_PX, WORKING_MIN_SIDE_PX * 2 / 3), "{case}");
    assert_marker_at(&gray, MARKER_CENTRE, case);
    assert!(gray.get_pixel(400, 300)[0] > 240, "{case}: background is not white");
}

/// Pearson correlation of two equally sized grayscale images.
fn correlation(a: &GrayImage, b: &GrayImage) -> f64 {
    let n = a.as_raw().len() as f64;
    let mean = |image: &GrayImage| image.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mean_a, mean_b) = (mean(a), mean(b));
    let (mut covariance, mut variance_a, mut variance_b) = (0.0, 0.0, 0.0);
    for (&va, &vb) in a.as_raw().iter().zip(b.as_raw()) {
        let (da, db) = (f64::from(va) - mean_a, f64::from(vb) - mean_b);
        covariance += da * db;
        variance_a += da * da;
        variance_b += db * db;
    }
    covariance / (variance_a * variance_b).sqrt()
}

/// CRC-32 (ISO-HDLC), as PNG chunks need.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    chunk
}

/// Builds a PNG that declares an image but contains almost no pixel data: signature, IHDR for the given size,
/// bit depth and colour type, an IDAT with an empty zlib stream, and IEND.
fn png_header_only(width: u32, height: u32, bit_depth: u8, colour_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(png_chunk(b"IHDR", &ihdr));
    bytes.extend(png_chunk(b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01"));
    bytes.extend(png_chunk(b"IEND", &[]));
    bytes
}

/// Builds an EXIF block (big-endian TIFF) that contains only the orientation tag.
fn exif_with_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes()); // offset of the first IFD
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // tag: Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // type: SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

/// Inserts an APP1 "Exif" segment right after the JPEG's SOI marker.
fn jpeg_with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(exif);
    let mut bytes = jpeg[..2].to_vec();
    bytes.extend_from_slice(&[0xFF, 0xE1]);
    bytes.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    bytes.extend(payload);
    bytes.extend_from_slice(&jpeg[2..]);
    bytes
}

/// Returns the offset of the first marker segment of kind `marker` in a JPEG.
fn jpeg_marker_offset(jpeg: &[u8], marker: u8) -> usize {
    jpeg.windows(2).position(|pair| pair == [0xFF, marker]).expect("marker present")
}

/// Builds a noisy image, so that encoded files are long enough to cut in the middle of the pixel data.
fn noisy_image(width: u32, height: u32) -> RgbImage {
    let mut state = 0x1234_5678u32;
    RgbImage::from_fn(width, height, |_, _| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [r, g, b, _] = state.to_le_bytes();
        Rgb([r, g, b])
    })
}

/// Returns the offset of the LZW minimum code size byte of a GIF's first image.
fn gif_first_lzw_code_size_offset(gif: &[u8]) -> usize {
    let colour_table_len = |flags: u8| if flags & 0x80 != 0 { 3 << ((flags & 0x07) + 1) } else { 0 };
    // Header (6 bytes), logical screen descriptor (7), global colour table.
    let mut pos = 13 + colour_table_len(gif[10]);
    // Skip extension blocks (0x21, label, sub-blocks ending with a zero length).
    while gif[pos] == 0x21 {
        pos += 2;
        while gif[pos] != 0 {
            pos += usize::from(gif[pos]) + 1;
        }
        pos += 1;
    }
    assert_eq!(gif[pos], 0x2C, "image descriptor expected");
    // Image descriptor (10 bytes), local colour table, then the code size byte.
    pos + 10 + colour_table_len(gif[pos + 9])
}

fn webp_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = kind.to_vec();
    chunk.extend_from_slice(&(data.len() as u32).to_le_bytes());
    chunk.extend_from_slice(data);
    if data.len() % 2 == 1 {
        chunk.push(0);
    }
    chunk
}

fn riff_webp(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
    bytes.extend_from_slice(b"WEBP");
    bytes.extend(body);
    bytes
}

fn u24_le(value: u32) -> [u8; 3] {
    let [a, b, c, _] = value.to_le_bytes();
    [a, b, c]
}

fn vp8x_chunk(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut data = vec![flags, 0, 0, 0];
    data.extend_from_slice(&u24_le(width - 1));
    data.extend_from_slice(&u24_le(height - 1));
    webp_chunk(b"VP8X", &data)
}

/// Encodes `image` as lossless WebP and returns its VP8L chunk, header included.
fn vp8l_chunk(image: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    WebPEncoder::new_lossless(&mut bytes)
        .encode(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        .expect("lossless WebP encodes");
    assert_eq!(&bytes[12..16], b"VP8L", "the encoder writes the simple lossless layout");
    bytes[12..].to_vec()
}

// ---------------------------------------------------------------------------------------------
// Supported formats and pixel layouts

#[test]
fn jpeg_decodes() {
    let bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Jpeg);
    assert_marked_image_decoded(&bytes, "RGB JPEG");
}

#[test]
fn grayscale_jpeg_decodes() {
    let gray = DynamicImage::ImageRgb8(marked_image()).into_luma8();
    let bytes = encode(&DynamicImage::ImageLuma8(gray), ImageFormat::Jpeg);
    assert_marked_image_decoded(&bytes, "grayscale JPEG");
}

#[test]
fn progressive_jpeg_decodes() {
    let reference = decode_photo(ASTRONAUT_PNG).expect("sample decodes");
    let progressive = decode_photo(PROGRESSIVE_JPEG).expect("progressive JPEG decodes");
    assert_eq!(progressive.dimensions(), reference.dimensions());
    let similarity = correlation(&progressive, &reference);
    assert!(similarity > 0.9, "progressive JPEG differs from the sample: correlation {similarity:.3}");
}

#[test]
fn cmyk_jpeg_decodes_as_positive_image() {
    // Adobe CMYK JPEGs store inverted ink values; a decoder that ignores this yields a negative,
    // which correlates negatively with the sample.
    let reference = decode_photo(ASTRONAUT_PNG).expect("sample decodes");
    let cmyk = decode_photo(CMYK_JPEG).expect("CMYK JPEG decodes");
    assert_eq!(cmyk.dimensions(), reference.dimensions());
    let similarity = correlation(&cmyk, &reference);
    assert!(similarity > 0.9, "CMYK JPEG differs from the sample: correlation {similarity:.3}");
}

#[test]
fn png_rgb_decodes() {
    let bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "RGB PNG");
}

#[test]
fn png_grayscale_decodes() {
    let gray = DynamicImage::ImageRgb8(marked_image()).into_luma8();
    let bytes = encode(&DynamicImage::ImageLuma8(gray), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "grayscale PNG");
}

#[test]
fn png_16_bit_decodes() {
    let rgb16 = DynamicImage::ImageRgb8(marked_image()).into_rgb16();
    let bytes = encode(&DynamicImage::ImageRgb16(rgb16), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "16-bit RGB PNG");

    let gray16 = DynamicImage::ImageRgb8(marked_image()).into_luma16();
    let bytes = encode(&DynamicImage::ImageLuma16(gray16), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "16-bit grayscale PNG");
}

#[test]
fn png_palette_decodes() {
    // Two palette entries: white (index 0) and black (index 1).
    let marked = marked_image();
    let indices: Vec<u8> = marked.pixels().map(|pixel| u8::from(pixel[0] < 128)).collect();
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, TEST_WIDTH, TEST_HEIGHT);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(vec![255, 255, 255, 0, 0, 0]);
        let mut writer = encoder.write_header().expect("header writes");
        writer.write_image_data(&indices).expect("palette image writes");
    }
    assert_marked_image_decoded(&bytes, "palette PNG");
}

#[test]
fn png_alpha_is_composited_over_white() {
    // A fully transparent black background: read as black, the whole image would be ink.
    let marked = marked_image();
    let rgba = RgbaImage::from_fn(TEST_WIDTH, TEST_HEIGHT, |x, y| {
        if marked.get_pixel(x, y)[0] < 128 { Rgba([0, 0, 0, 255]) } else { Rgba([0, 0, 0, 0]) }
    });
    let bytes = encode(&DynamicImage::ImageRgba8(rgba.clone()), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "RGBA PNG");

    let gray_alpha = DynamicImage::ImageRgba8(rgba).into_luma_alpha8();
    let bytes = encode(&DynamicImage::ImageLumaA8(gray_alpha), ImageFormat::Png);
    assert_marked_image_decoded(&bytes, "grayscale-alpha PNG");
}

#[test]
fn gif_decodes_first_frame() {
    // The second frame is the marked image mirrored; only the first may be decoded.
    let first = RgbaImage::from_fn(TEST_WIDTH, TEST_HEIGHT, |x, y| {
        let [r, g, b] = marked_image().get_pixel(x, y).0;
        Rgba([r, g, b, 255])
    });
    let second = image::imageops::flip_horizontal(&first);
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.encode_frames(vec![Frame::new(first), Frame::new(second)]).expect("GIF encodes");
    }
    assert_marked_image_decoded(&bytes, "two-frame GIF");
}

#[test]
fn webp_lossless_decodes() {
    let bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::WebP);
    assert_marked_image_decoded(&bytes, "lossless WebP");
}

#[test]
fn animated_webp_decodes_first_frame() {
    let first = DynamicImage::ImageRgb8(marked_image()).into_rgba8();
    let second = image::imageops::flip_horizontal(&first);

    // ANMF payload: x/2, y/2, width-1, height-1, duration in ms (24 bits each), flags, frame data.
    let frame = |image: &RgbaImage| {
        let mut data = Vec::new();
        data.extend_from_slice(&u24_le(0));
        data.extend_from_slice(&u24_le(0));
        data.extend_from_slice(&u24_le(TEST_WIDTH - 1));
        data.extend_from_slice(&u24_le(TEST_HEIGHT - 1));
        data.extend_from_slice(&u24_le(100));
        data.push(0b10); // do not blend, do not dispose
        data.extend(vp8l_chunk(image));
        webp_chunk(b"ANMF", &data)
    };
    let animation_flag = 0b10;
    let alpha_flag = 0b1_0000;
    let bytes = riff_webp(&[
        vp8x_chunk(animation_flag | alpha_flag, TEST_WIDTH, TEST_HEIGHT),
        webp_chunk(b"ANIM", &[255, 255, 255, 255, 0, 0]),
        frame(&first),
        frame(&second),
    ]);
    assert_marked_image_decoded(&bytes, "animated WebP");
}

// ---------------------------------------------------------------------------------------------
// EXIF orientation

/// Where the marker must appear after each EXIF orientation (1 to 8) is applied, as fractions of the
/// displayed width and height, and whether width and height swap.
fn expected_orientation(orientation: u16) -> ((f32, f32), bool) {
    let (x, y) = MARKER_CENTRE;
    match orientation {
        1 => ((x, y), false),
        2 => ((1.0 - x, y), false),       // mirrored horizontally
        3 => ((1.0 - x, 1.0 - y), false), // rotated 180°
        4 => ((x, 1.0 - y), false),       // mirrored vertically
        5 => ((y, x), true),              // transposed (mirrored across the main diagonal)
        6 => ((1.0 - y, x), true),        // rotated 90° clockwise
        7 => ((1.0 - y, 1.0 - x), true),  // transversed (mirrored across the anti-diagonal)
        8 => ((y, 1.0 - x), true),        // rotated 90° counter-clockwise
        _ => unreachable!("EXIF orientations are 1 to 8"),
    }
}

#[test]
fn exif_orientations_are_applied_to_jpeg() {
    let jpeg = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Jpeg);
    for orientation in 1..=8 {
        let bytes = jpeg_with_exif(&jpeg, &exif_with_orientation(orientation));
        let gray = decode_photo(&bytes).unwrap_or_else(|error| panic!("orientation {orientation}: {error}"));
        let (marker, swapped) = expected_orientation(orientation);
        let landscape = (WORKING_MIN_SIDE_PX, WORKING_MIN_SIDE_PX * 2 / 3);
        let expected_size = if swapped { (landscape.1, landscape.0) } else { landscape };
        assert_eq!(gray.dimensions(), expected_size, "orientation {orientation}");
        assert_marker_at(&gray, marker, &format!("orientation {orientation}"));
    }
}

#[test]
fn exif_orientation_is_applied_to_png() {
    // PNG carries EXIF in an eXIf chunk, placed before the image data.
    let png = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Png);
    let ihdr_end = 8 + 25;
    let mut bytes = png[..ihdr_end].to_vec();
    bytes.extend(png_chunk(b"eXIf", &exif_with_orientation(6)));
    bytes.extend_from_slice(&png[ihdr_end..]);

    let gray = decode_photo(&bytes).expect("PNG with eXIf decodes");
    let (marker, _) = expected_orientation(6);
    assert_eq!(gray.dimensions(), (WORKING_MIN_SIDE_PX * 2 / 3, WORKING_MIN_SIDE_PX));
    assert_marker_at(&gray, marker, "PNG orientation 6");
}

// ---------------------------------------------------------------------------------------------
// Limits

/// Decodes bytes that declare a huge image and checks that the rejection is the dimension error and
/// comes at once, from the header, without allocating pixels.
fn assert_rejected_as_huge(bytes: &[u8], case: &str) {
    let started = Instant::now();
    let result = decode_photo(bytes).map(|image| image.dimensions());
    let elapsed = started.elapsed();
    match result {
        Err(PhotoError::DimensionsTooLarge { width: 60_000, height: 60_000 }) => {}
        other => panic!("{case}: expected DimensionsTooLarge for 60000x60000, got {other:?}"),
    }
    assert!(elapsed < Duration::from_millis(500), "{case}: rejection took {elapsed:?}");
}

#[test]
fn declared_huge_png_is_rejected_from_header() {
    assert_rejected_as_huge(&png_header_only(60_000, 60_000, 8, 2), "PNG");
}

#[test]
fn declared_huge_jpeg_is_rejected_from_header() {
    let mut bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Jpeg);
    // SOF0: marker, length (2), precision (1), then height and width (2 each, big-endian).
    let sof = jpeg_marker_offset(&bytes, 0xC0);
    bytes[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    assert_rejected_as_huge(&bytes, "JPEG");
}

#[test]
fn declared_huge_gif_is_rejected_from_header() {
    let mut bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Gif);
    // The logical screen size follows the 6-byte signature, little-endian.
    bytes[6..8].copy_from_slice(&60_000u16.to_le_bytes());
    bytes[8..10].copy_from_slice(&60_000u16.to_le_bytes());
    assert_rejected_as_huge(&bytes, "GIF");
}

#[test]
fn declared_huge_webp_is_rejected_from_header() {
    let small = DynamicImage::ImageRgb8(marked_image()).into_rgba8();
    let bytes = riff_webp(&[vp8x_chunk(0, 60_000, 60_000), vp8l_chunk(&small)]);
    assert_rejected_as_huge(&bytes, "WebP");
}

#[test]
fn side_longer_than_limit_is_rejected() {
    let bytes = png_header_only(MAX_IMAGE_SIDE_PX + 1, 8, 8, 0);
    match decode_photo(&bytes).map(|image| image.dimensions()) {
        Err(PhotoError::DimensionsTooLarge { width, height: 8 }) => assert_eq!(width, MAX_IMAGE_SIDE_PX + 1),
        other => panic!("expected DimensionsTooLarge, got {other:?}"),
    }
}

#[test]
fn pixel_count_limit_is_enforced_at_its_boundary() {
    // 10,000 x 5,000 is exactly the limit: it passes the dimension check and fails later, because
    // this PNG has no pixel data. One more row is over the limit.
    assert_eq!(MAX_DECODED_PIXELS, 10_000 * 5_000);
    match decode_photo(&png_header_only(10_000, 5_000, 8, 0)) {
        Err(PhotoError::DimensionsTooLarge { .. }) => {
            panic!("an image at the limit was rejected as too large")
        }
        Err(_) => {}
        Ok(_) => panic!("a PNG without pixel data decoded"),
    }
    assert!(matches!(
        decode_photo(&png_header_only(10_000, 5_001, 8, 0)),
        Err(PhotoError::DimensionsTooLarge { width: 10_000, height: 5_001 })
    ));
}

#[test]
fn allocation_limit_is_enforced() {
    // 8000 x 5000 is within the pixel limit, but as 16-bit RGBA it needs 320 MB of pixels.
    let needed_bytes = 8_000u64 * 5_000 * 8;
    assert!(needed_bytes > MAX_DECODE_ALLOC_BYTES);
    let started = Instant::now();
    let error = decode_photo(&png_header_only(8_000, 5_000, 16, 6)).expect_err("over the memory limit");
    assert!(matches!(error, PhotoError::MemoryLimit { format: "PNG", .. }), "got {error:?}");
    assert!(error.to_string().contains("256 MiB"), "message lacks the limit: {error}");
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn oversized_input_rejected_naming_limit() {
    let bytes = vec![0u8; MAX_INPUT_BYTES + 1];
    let error = decode_photo(&bytes).expect_err("over the byte limit");
    assert!(matches!(error, PhotoError::TooLarge { len_bytes } if len_bytes == MAX_INPUT_BYTES + 1));
    let message = error.to_string();
    assert!(message.contains("the limit is 10 MiB (10485760 bytes)"), "message lacks the limit: {message}");
    assert!(message.contains("10485761 bytes"), "message lacks the input length: {message}");
}

#[test]
fn input_at_byte_limit_is_accepted() {
    // PNG decoders ignore data after IEND, so padding to exactly the limit keeps the image valid.
    let mut bytes = encode(&DynamicImage::ImageRgb8(marked_image()), ImageFormat::Png);
    bytes.resize(MAX_INPUT_BYTES, 0);
    assert_marked_image_decoded(&bytes, "PNG padded to the byte limit");
}

#[test]
fn empty_input_is_rejected() {
    let error = decode_photo(&[]).expect_err("empty input");
    assert!(matches!(error, PhotoError::Empty));
    assert!(error.to_string().contains("empty"));
}

// ---------------------------------------------------------------------------------------------
// Unsupported, truncated and corrupt input

#[test]
fn unsupported_formats_are_named() {
    // A real 2x2 BMP: file header, BITMAPINFOHEADER, then 2 rows of 2 BGR pixels padded to 4 bytes.
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&70u32.to_le_bytes());
    bmp.extend_from_slice(&[0, 0, 0, 0]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&2i32.to_le_bytes());
    bmp.extend_from_slice(&2i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp.extend_from_slice(&[0; 16]);

    let ftyp = |major: &[u8; 4]| {
        let mut bytes = vec![0, 0, 0, 24];
        bytes.extend_from_slice(b"ftyp");
        bytes.extend_from_slice(major);
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        bytes.extend_from_slice(b"mif1miaf");
        bytes
    };

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("BMP", bmp),
        ("TIFF", b"II*\0\x08\0\0\0\0\0".to_vec()),
        ("TIFF", b"MM\0*\0\0\0\x08\0\0".to_vec()),
        ("HEIC", ftyp(b"heic")),
        ("AVIF", ftyp(b"avif")),
        ("PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec()),
        ("PSD", b"8BPS\0\x01\0\0\0\0\0\0".to_vec()),
        ("SVG", b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec()),
    ];
    for (name, bytes) in cases {
        let error = decode_photo(&bytes).expect_err(name);
        assert!(
            matches!(error, PhotoError::UnsupportedFormat { format: Some(found) } if found == name),
            "{name}: got {error:?}"
        );
        assert!(error.to_string().contains(name), "{name}: message does not name the format: {error}");
    }
}

#[test]
fn garbage_without_signature_is_unknown_format() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let error = decode_photo(&garbage).expect_err("garbage");
    assert!(matches!(error, PhotoError::UnsupportedFormat { format: None }), "got {error:?}");
    assert!(error.to_string().contains("unknown"), "message: {error}");
}

#[test]
fn truncated_files_are_reported_as_truncated() {
    let noisy = DynamicImage::ImageRgb8(noisy_image(128, 128));
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP] {
        let bytes = encode(&noisy, format);
        let cut = &bytes[..bytes.len() / 2];
        let result = decode_photo(cut).map(|image| image.dimensions());
        assert!(
            matches!(result, Err(PhotoError::Truncated { .. })),
            "{format:?} cut in half: got {result:?}"
        );
    }
}

#[test]
fn corrupt_files_are_reported_as_corrupt() {
    let marked = DynamicImage::ImageRgb8(marked_image());

    // PNG: a changed byte inside IHDR no longer matches the chunk's CRC.
    let mut png = encode(&marked, ImageFormat::Png);
    png[8 + 8 + 9] ^= 0xFF;

    // JPEG: a Huffman table whose code counts claim more codes than exist.
    let mut jpeg = encode(&marked, ImageFormat::Jpeg);
    let dht = jpeg_marker_offset(&jpeg, 0xC4);
    jpeg[dht + 5..dht + 21].fill(0xFF);

    // GIF: the LZW minimum code size of the first image set to an invalid 0xFF.
    let mut gif = encode(&marked, ImageFormat::Gif);
    let code_size = gif_first_lzw_code_size_offset(&gif);
    gif[code_size] = 0xFF;

    // WebP: the VP8L signature byte, which must be 0x2F.
    let mut webp = encode(&marked, ImageFormat::WebP);
    webp[20] = 0x00;

    for (name, bytes) in [("PNG", png), ("JPEG", jpeg), ("GIF", gif), ("WebP", webp)] {
        let result = decode_photo(&bytes).map(|image| image.dimensions());
        assert!(
            matches!(result, Err(PhotoError::Corrupt { format, .. }) if format == name),
            "{name}: got {result:?}"
        );
    }
}

#[test]
fn large_photo_is_reduced_to_working_size() {
    let large = DynamicImage::ImageLuma8(GrayImage::from_pixel(3000, 2000, Luma([128])));
    let gray = decode_photo(&encode(&large, ImageFormat::Png)).expect("large PNG decodes");
    // 2000 * 1024 / 3000 = 682.7, rounded.
    assert_eq!(gray.dimensions(), (WORKING_MAX_SIDE_PX, 683));
}
