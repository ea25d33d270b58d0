//! Measures the render pipeline stage by stage and against other encoders, in one run.
//!
//! Run with `cargo run --release -p render-worker --example bench_pipeline [PHOTO]`. For each size
//! it times, on one thread each: drawing the frames, converting them to YUV, openh264 encoding alone,
//! muxing alone, and the whole pipeline as `render-worker` runs it (drawing and encoding on two
//! threads). It then encodes the same raw frames with ffmpeg's libx264 (`veryfast` and `ultrafast`,
//! one thread) and prints the SSIM of the luma plane of each encoding against the drawn frames.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use animation::{Animation, AnimationSpec, Style};
use strokes::Rgb;
use video::{EncoderSettings, H264Encoder, Mp4Muxer, Yuv420Frame};

const DURATION_MS: u32 = 15_000;

fn main() -> anyhow::Result<()> {
    let photo_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples/astronaut.png").into());
    let photo = fs::read(&photo_path)?;
    let strokes = strokes::photo_to_strokes(&photo)?;
    println!("photo {photo_path}: {} strokes, {} points", strokes.strokes.len(), strokes.point_count());
    let work = tempfile::tempdir()?;

    for (width, height) in [(1080, 1080), (720, 720)] {
        for style in [Style::Epicycles, Style::Pen] {
            let spec = AnimationSpec {
                style,
                width,
                height,
                duration_ms: DURATION_MS,
                background: Rgb::new(0xfd, 0xfb, 0xf7),
                sketch: Rgb::new(0x1d, 0x2a, 0x3a),
            };
            bench_size(&strokes, &spec, work.path())?;
        }
    }
    Ok(())
}

fn fps(frames: usize, elapsed: Duration) -> f64 {
    frames as f64 / elapsed.as_secs_f64()
}

fn bench_size(strokes: &strokes::StrokeSet, spec: &AnimationSpec, work: &Path) -> anyhow::Result<()> {
    let animation = Animation::new(strokes, spec)?;
    let frames = animation.frame_count() as usize;
    println!("\n{}x{} {}, {frames} frames:", spec.width, spec.height, spec.style.as_str());

    // Drawing alone, then colour conversion alone (on copies of the drawn frames).
    let mut drawn = Vec::with_capacity(frames);
    let mut renderer = animation.renderer();
    let mut draw_time = Duration::ZERO;
    loop {
        let frame_started = Instant::now();
        let Some(frame) = renderer.next_frame() else { break };
        draw_time += frame_started.elapsed();
        drawn.push(frame.rgba().to_vec());
    }
    // Conversion is timed into one reused buffer, as the pipeline does; storing the copies is not timed.
    let mut yuv_frames = Vec::with_capacity(frames);
    let mut yuv = Yuv420Frame::new(spec.width, spec.height)?;
    let mut convert_time = Duration::ZERO;
    for rgba in &drawn {
        let frame_started = Instant::now();
        animation::yuv::rgba_to_yuv420(spec.width, spec.height, rgba, &mut yuv.y, &mut yuv.u, &mut yuv.v);
        convert_time += frame_started.elapsed();
        yuv_frames.push(yuv.clone());
    }
    drop(drawn);

    // Encoding alone, then muxing alone.
    let settings = EncoderSettings::for_size(spec.width, spec.height);
    let mut encoder = H264Encoder::new(settings)?;
    let mut access_units = Vec::with_capacity(frames);
    let started = Instant::now();
    for yuv in &yuv_frames {
        let mut annex_b = Vec::new();
        encoder.encode(yuv, &mut annex_b)?;
        access_units.push(annex_b);
    }
    let encode_time = started.elapsed();
    let started = Instant::now();
    let mut muxer = Mp4Muxer::new(spec.width, spec.height, video::FPS);
    for unit in &access_units {
        muxer.write_frame(unit);
    }
    let openh264_mp4 = muxer.finish()?;
    let mux_time = started.elapsed();

    // The whole pipeline as the worker runs it.
    let started = Instant::now();
    let whole = render_worker::pipeline::render_video(strokes, spec, 1, |_, _| {})?;
    let whole_time = started.elapsed();
    assert_eq!(whole.frame_count as usize, frames);

    // The same raw frames through libx264, and SSIM-Y of every encoding against them.
    let raw_path = work.join("frames.yuv");
    let mut raw = Vec::with_capacity(frames * yuv_frames[0].y.len() * 3 / 2);
    for yuv in &yuv_frames {
        raw.extend_from_slice(&yuv.y);
        raw.extend_from_slice(&yuv.u);
        raw.extend_from_slice(&yuv.v);
    }
    fs::write(&raw_path, raw)?;
    drop(yuv_frames);
    let openh264_path = work.join("openh264.mp4");
    fs::write(&openh264_path, &openh264_mp4)?;
    let whole_path = work.join("whole.mp4");
    fs::write(&whole_path, &whole.mp4)?;

    println!("  {:<34} {:>9} {:>9} {:>9}", "stage (one thread unless noted)", "fps", "MB", "SSIM-Y");
    println!("  {:<34} {:>9.1}", "draw frames", fps(frames, draw_time));
    println!("  {:<34} {:>9.1}", "RGB to YUV 4:2:0", fps(frames, convert_time));
    let openh264_ssim = ssim_y(&openh264_path, &raw_path, spec)?;
    println!(
        "  {:<34} {:>9.1} {:>9.2} {:>9.4}",
        "openh264 encode only",
        fps(frames, encode_time),
        openh264_mp4.len() as f64 / 1e6,
        openh264_ssim
    );
    println!("  {:<34} {:>9.1}", "minimp4 mux + faststart", fps(frames, mux_time));
    println!(
        "  {:<34} {:>9.1} {:>9.2} {:>9.4}",
        "whole pipeline (draw || encode)",
        fps(frames, whole_time),
        whole.mp4.len() as f64 / 1e6,
        ssim_y(&whole_path, &raw_path, spec)?
    );
    for preset in ["veryfast", "ultrafast"] {
        let out = work.join(format!("x264-{preset}.mp4"));
        let started = Instant::now();
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s"])
            .arg(format!("{}x{}", spec.width, spec.height))
            .args(["-r", "30", "-i"])
            .arg(&raw_path)
            .args(["-c:v", "libx264", "-preset", preset, "-threads", "1", "-pix_fmt", "yuv420p"])
            .arg(&out)
            .status()?;
        let elapsed = started.elapsed();
        anyhow::ensure!(status.success(), "ffmpeg libx264 {preset} failed");
        let size = fs::metadata(&out)?.len();
        println!(
            "  {:<34} {:>9.1} {:>9.2} {:>9.4}",
            format!("x264 {preset} (ffmpeg, incl. read)"),
            fps(frames, elapsed),
            size as f64 / 1e6,
            ssim_y(&out, &raw_path, spec)?
        );
    }
    Ok(())
}

/// Returns ffmpeg's SSIM of the luma plane of `encoded` against the raw frames.
fn ssim_y(encoded: &Path, raw: &Path, spec: &AnimationSpec) -> anyhow::Result<f64> {
    let output = Command::new("ffmpeg")
        .args(["-v", "info", "-nostats", "-i"])
        .arg(encoded)
        .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s"])
        .arg(format!("{}x{}", spec.width, spec.height))
        .args(["-r", "30", "-i"])
        .arg(raw)
        .args(["-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"])
        .output()?;
    let log = String::from_utf8_lossy(&output.stderr);
    let value = log
        .lines()
        .filter_map(|line| line.split("SSIM Y:").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .next_back()
        .ok_or_else(|| anyhow::anyhow!("ffmpeg printed no SSIM: {log}"))?;
    Ok(value.parse()?)
}
