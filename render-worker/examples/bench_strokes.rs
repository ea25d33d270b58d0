//! Measures photo → strokes time and peak memory for the sample photo and a 12-megapixel JPEG.
//!
//! Run with `cargo run --release -p render-worker --example bench_strokes`. Each input is converted in
//! a fresh child process, so the peak resident memory it reports (VmHWM) belongs to that input alone;
//! it includes the process's own baseline of a few MiB.

use std::io::Cursor;
use std::process::Command;
use std::time::Instant;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples/astronaut.png");
const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(path)) = (args.next(), args.next()) {
        anyhow::ensure!(flag == "--child", "usage: bench_strokes [--child PHOTO]");
        return measure(&path);
    }

    let work = tempfile::tempdir()?;
    let large = work.path().join("astronaut-12mp.jpg");
    let photo = image::open(SAMPLE)?;
    let resized = photo.resize_exact(4000, 3000, image::imageops::FilterType::Triangle).to_rgb8();
    let mut jpeg = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&resized)?;
    std::fs::write(&large, jpeg.into_inner())?;

    println!("{:<32} {:>10} {:>10} {:>10} {:>12}", "input", "bytes", "best ms", "median ms", "peak MiB");
    for path in [SAMPLE.to_string(), large.display().to_string()] {
        let output = Command::new(std::env::current_exe()?).args(["--child", &path]).output()?;
        anyhow::ensure!(output.status.success(), "child failed: {}", String::from_utf8_lossy(&output.stderr));
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    Ok(())
}

fn measure(path: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let mut times_ms = Vec::with_capacity(RUNS);
    let mut strokes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let set = strokes::photo_to_strokes(&bytes)?;
        times_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        strokes = set.strokes.len();
    }
    times_ms.sort_by(f64::total_cmp);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let peak_kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(f64::NAN);
    let name = std::path::Path::new(path).file_name().unwrap_or_default().to_string_lossy();
    println!(
        "{:<32} {:>10} {:>10.1} {:>10.1} {:>12.1}   ({strokes} strokes)",
        name,
        bytes.len(),
        times_ms[0],
        times_ms[RUNS / 2],
        peak_kib / 1024.0
    );
    Ok(())
}
