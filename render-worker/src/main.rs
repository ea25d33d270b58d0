//! `render-worker`: renders sketch animations.
//!
//! `render-worker render PHOTO -o OUT.mp4` runs the whole job on a local file with no server.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use animation::{AnimationSpec, Style};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use strokes::Rgb;

/// Renders "mathematical animation" sketches of photos to MP4.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turn a photo (JPEG, PNG, GIF or WebP) into an MP4 of it being sketched.
    Render(RenderArgs),
}

#[derive(Args)]
struct RenderArgs {
    /// The photo to draw (JPEG, PNG, GIF or WebP, at most 10 MB).
    photo: PathBuf,

    /// Path of the MP4 file to write.
    #[arg(short, long, value_name = "OUT.mp4")]
    output: PathBuf,

    /// Animation style: `epicycles` (rotating circles trace the lines) or `pen` (a pen at constant speed).
    #[arg(long, default_value = "epicycles")]
    style: Style,

    /// Background colour as #rrggbb.
    #[arg(long, default_value = "#fdfbf7")]
    background: Rgb,

    /// Sketch (line) colour as #rrggbb.
    #[arg(long, default_value = "#1d2a3a")]
    sketch: Rgb,

    /// Video size as WIDTHxHEIGHT in pixels, both even (for example 720x720, 1080x1080, 1080x1920).
    #[arg(long, default_value = "1080x1080", value_parser = parse_size)]
    size: (u32, u32),

    /// Video length in seconds, 5 to 30; the finished drawing is held for the last 1.5 seconds.
    #[arg(long, default_value_t = 15.0)]
    duration: f64,

    /// Also write the finished drawing as a PNG.
    #[arg(long, value_name = "OUT.png")]
    poster: Option<PathBuf>,

    /// Also write the strokes as an SVG.
    #[arg(long, value_name = "OUT.svg")]
    strokes: Option<PathBuf>,

    /// Number of encoder threads, or 0 to let openh264 choose.
    #[arg(long, default_value_t = 0)]
    encoder_threads: u16,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let invalid = || format!("invalid size {text:?}: expected WIDTHxHEIGHT such as 1080x1080");
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(invalid)?;
    let width = width.trim().parse().map_err(|_| invalid())?;
    let height = height.trim().parse().map_err(|_| invalid())?;
    Ok((width, height))
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();

    match Cli::parse().command {
        Command::Render(args) => render(&args),
    }
}

fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if !(5.0..=30.0).contains(&args.duration) {
        bail!("invalid duration {} s: the range is 5 to 30 seconds", args.duration);
    }
    let (width, height) = args.size;
    let spec = AnimationSpec {
        style: args.style,
        width,
        height,
        duration_ms: (args.duration * 1000.0).round() as u32,
        background: args.background,
        sketch: args.sketch,
    };
    spec.validate()?;

    // Step 1: the photo becomes strokes. The decoded image never leaves this call.
    let photo = fs::read(&args.photo).with_context(|| format!("failed to read {}", args.photo.display()))?;
    let strokes =
        strokes::photo_to_strokes(&photo).with_context(|| format!("cannot draw {}", args.photo.display()))?;
    drop(photo);
    if let Some(path) = &args.strokes {
        write_file(path, strokes::svg::to_svg(&strokes, args.background, args.sketch).as_bytes())?;
    }

    // Step 2: frames are drawn and encoded, with a progress bar when stderr is a terminal.
    let progress = progress_bar();
    let rendered =
        render_worker::pipeline::render_video(&strokes, &spec, args.encoder_threads, |done, total| {
            progress.set_length(u64::from(total));
            progress.set_position(u64::from(done));
        })?;
    progress.finish_and_clear();
    write_file(&args.output, &rendered.mp4)?;

    // Step 3: the optional poster is the final frame.
    if let Some(path) = &args.poster {
        let animation = animation::Animation::new(&strokes, &spec)?;
        let frame = animation.render_final();
        let image = image::RgbImage::from_raw(frame.width(), frame.height(), frame.to_rgb())
            .context("final frame has the wrong size")?;
        image.save(path).with_context(|| format!("failed to write {}", path.display()))?;
    }

    println!(
        "wrote {} ({} frames, {:.1} s, {:.1} MB, {} strokes) in {:.1} s",
        args.output.display(),
        rendered.frame_count,
        f64::from(rendered.frame_count) / f64::from(video::FPS),
        rendered.mp4.len() as f64 / 1e6,
        strokes.strokes.len(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(
        "{spinner} drawing and encoding [{bar:40}] {pos}/{len} frames, {eta} left",
    )
    .expect("the template is valid")
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(path, bytes).with_context(|| format!("failed to write {}", path.display()))
}
