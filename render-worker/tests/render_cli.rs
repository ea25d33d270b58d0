//! End-to-end checks of `render-worker render` on the sample portrait, read back with ffprobe and
//! ffmpeg as an independent decoder.
//!
//! What this cannot catch: how the drawing looks to a person. The frames are compared with the poster
//! (the finished drawing), whose lines the `animation` crate's tests check against the strokes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples/astronaut.png");

/// A rendered video with its poster, in a temporary folder removed on drop.
struct Rendered {
    dir: tempfile::TempDir,
}

impl Rendered {
    fn mp4(&self) -> PathBuf {
        self.dir.path().join("out.mp4")
    }

    fn poster(&self) -> PathBuf {
        self.dir.path().join("out.png")
    }

    fn svg(&self) -> PathBuf {
        self.dir.path().join("out.svg")
    }
}

fn render(args: &[&str]) -> Rendered {
    let dir = tempfile::tempdir().expect("temporary folder");
    let rendered = Rendered { dir };
    let output = Command::new(env!("CARGO_BIN_EXE_render-worker"))
        .arg("render")
        .arg(SAMPLE)
        .arg("-o")
        .arg(rendered.mp4())
        .arg("--poster")
        .arg(rendered.poster())
        .arg("--strokes")
        .arg(rendered.svg())
        .args(args)
        .output()
        .expect("render-worker runs");
    assert!(output.status.success(), "render failed: {}", String::from_utf8_lossy(&output.stderr));
    rendered
}

fn ffprobe_stream(path: &Path) -> Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_streams", "-show_format"])
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs ffmpeg)");
    assert!(output.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&output.stderr));
    let mut json: Value = serde_json::from_slice(&output.stdout).expect("ffprobe prints JSON");
    let mut stream = json["streams"][0].take();
    stream["format_duration"] = json["format"]["duration"].take();
    stream
}

fn number(value: &Value) -> f64 {
    match value {
        Value::String(text) => text.parse().expect("numeric string"),
        other => other.as_f64().expect("number"),
    }
}

/// Decodes frame `index` (0-based) to packed RGB with ffmpeg.
fn decode_frame(path: &Path, index: u32) -> Vec<u8> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-vf",
            &format!("select=eq(n\\,{index})"),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// Returns the byte offsets of the top-level boxes, in file order.
fn top_level_boxes(bytes: &[u8]) -> Vec<(String, usize)> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        boxes.push((String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned(), at));
        assert!(size >= 8, "box at {at} has size {size}");
        at += size;
    }
    assert_eq!(at, bytes.len(), "boxes do not tile the file");
    boxes
}

#[test]
fn epicycles_video_has_requested_format() {
    let rendered = render(&["--style", "epicycles", "--size", "720x720", "--duration", "6"]);
    let stream = ffprobe_stream(&rendered.mp4());

    assert_eq!(stream["codec_name"], "h264");
    assert_eq!(stream["width"], 720);
    assert_eq!(stream["height"], 720);
    assert_eq!(stream["r_frame_rate"], "30/1");
    assert_eq!(stream["avg_frame_rate"], "30/1");
    assert_eq!(stream["pix_fmt"], "yuv420p");
    assert_eq!(stream["color_range"], "tv");
    assert_eq!(stream["color_space"], "smpte170m");
    assert_eq!(stream["nb_read_frames"], "180");
    assert_eq!(stream["nb_frames"], "180");
    let duration = number(&stream["format_duration"]);
    assert!((duration - 6.0).abs() <= 1.0 / 30.0, "duration {duration} s");
}

#[test]
fn pen_video_in_portrait_size_decodes_cleanly() {
    let rendered = render(&["--style", "pen", "--size", "1080x1920", "--duration", "5"]);
    let stream = ffprobe_stream(&rendered.mp4());
    assert_eq!(stream["width"], 1080);
    assert_eq!(stream["height"], 1920);
    assert_eq!(stream["nb_read_frames"], "150");

    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(rendered.mp4())
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "ffmpeg reported decoding errors");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}

#[test]
fn video_is_faststart() {
    let rendered = render(&["--size", "720x720", "--duration", "5"]);
    let bytes = std::fs::read(rendered.mp4()).unwrap();
    let boxes = top_level_boxes(&bytes);
    let names: Vec<&str> = boxes.iter().map(|(name, _)| name.as_str()).collect();
    let moov = names.iter().position(|name| *name == "moov").expect("moov box");
    let mdat = names.iter().position(|name| *name == "mdat").expect("mdat box");
    assert_eq!(names[0], "ftyp");
    assert!(moov < mdat, "moov must precede mdat, found {names:?}");
}

#[test]
fn background_colour_survives_encoding() {
    let rendered =
        render(&["--size", "720x720", "--duration", "5", "--background", "#2050c0", "--sketch", "#ffe070"]);
    let first = decode_frame(&rendered.mp4(), 0);
    assert_eq!(first.len(), 720 * 720 * 3);

    // The corner is always background: the drawing is fitted inside a margin.
    for (x, y) in [(4usize, 4usize), (715, 4), (4, 715), (715, 715)] {
        let at = (y * 720 + x) * 3;
        let pixel = &first[at..at + 3];
        for (channel, expected) in pixel.iter().zip([0x20u8, 0x50, 0xc0]) {
            assert!(channel.abs_diff(expected) <= 4, "corner ({x},{y}) is {pixel:?}, expected #2050c0");
        }
    }
}

#[test]
fn last_frame_matches_finished_drawing() {
    let rendered =
        render(&["--size", "720x720", "--duration", "5", "--background", "#ffffff", "--sketch", "#000000"]);
    let last = decode_frame(&rendered.mp4(), 149);
    let poster = image::open(rendered.poster()).expect("poster PNG").to_luma8();
    assert_eq!(poster.dimensions(), (720, 720));

    let dark = |luma: u8| luma < 128;
    let video_ink = |x: u32, y: u32| dark(last[((y * 720 + x) * 3) as usize]);
    let near = |ink: &dyn Fn(u32, u32) -> bool, x: u32, y: u32| {
        (x.saturating_sub(2)..=(x + 2).min(719))
            .any(|nx| (y.saturating_sub(2)..=(y + 2).min(719)).any(|ny| ink(nx, ny)))
    };
    let poster_ink = |x: u32, y: u32| dark(poster.get_pixel(x, y)[0]);

    let (mut video_total, mut video_off_lines) = (0u32, 0u32);
    let (mut poster_total, mut poster_covered) = (0u32, 0u32);
    for y in 0..720 {
        for x in 0..720 {
            if video_ink(x, y) {
                video_total += 1;
                if !near(&poster_ink, x, y) {
                    video_off_lines += 1;
                }
            }
            if poster_ink(x, y) {
                poster_total += 1;
                if near(&video_ink, x, y) {
                    poster_covered += 1;
                }
            }
        }
    }

    assert!(poster_total > 2_000, "the drawing has only {poster_total} dark pixels");
    assert!(
        video_off_lines * 1000 <= video_total,
        "{video_off_lines} of {video_total} ink pixels lie off the drawing"
    );
    assert!(
        poster_covered * 100 >= poster_total * 97,
        "only {poster_covered} of {poster_total} drawing pixels appear"
    );
}

#[test]
fn strokes_svg_is_written() {
    let rendered = render(&["--size", "720x720", "--duration", "5"]);
    let svg = std::fs::read_to_string(rendered.svg()).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "not an SVG: {}", &svg[..svg.len().min(80)]);
    assert!(svg.matches("<path").count() + svg.matches("<polyline").count() > 50);
}

#[test]
fn unsupported_file_is_rejected_with_message() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "this is not an image").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_render-worker"))
        .arg("render")
        .arg(&text)
        .arg("-o")
        .arg(dir.path().join("out.mp4"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.png"), "message does not name the file: {stderr}");
    assert!(!dir.path().join("out.mp4").exists());
}

#[test]
fn odd_size_is_rejected_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_render-worker"))
        .arg("render")
        .arg(SAMPLE)
        .arg("-o")
        .arg(dir.path().join("out.mp4"))
        .args(["--size", "721x720"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("721"), "message does not name the width: {stderr}");
}
