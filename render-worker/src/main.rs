//! `render-worker`: renders sketch animations.
//!
//! `render-worker render PHOTO -o OUT.mp4` runs the whole job on a local file with no server.
//! `render-worker serve` runs a pool of workers on the Redis job queue of the edge components.

use std::fs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    /// Render orders from the Redis job queue until SIGTERM or SIGINT.
    ///
    /// The storage key is read from the SBH_STORAGE_KEY environment variable, never from an option.
    /// It is 64 hex digits, or ID:HEX64[,ID:HEX64] during a key rotation. With --dispatch-url, the
    /// process also sends scheduled e-cards; the secret comes from SBH_DISPATCH_SECRET.
    Serve(ServeArgs),
}

/// Environment variable holding the storage key that seals every value in Redis.
const STORAGE_KEY_ENV: &str = "SBH_STORAGE_KEY";

/// Environment variable holding the dispatch endpoint's secret (the `dispatch_secret` Spin variable).
const DISPATCH_SECRET_ENV: &str = "SBH_DISPATCH_SECRET";

#[derive(Args)]
struct ServeArgs {
    /// Redis URL, for example redis://127.0.0.1:6379.
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    redis_url: String,

    /// Number of workers, each rendering one job on one thread [default: number of CPU cores].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,

    /// Name of this process in job claims and logs [default: HOSTNAME-PID].
    #[arg(long)]
    name: Option<String>,

    /// Seconds between two reaper scans for jobs whose worker died.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    reaper_interval_secs: u64,

    /// Seconds a job in progress may take to finish after SIGTERM or SIGINT before it is requeued.
    #[arg(long, default_value_t = 20)]
    grace_secs: u64,

    /// URL of the ecards dispatch endpoint, such as http://127.0.0.1:3000/api/ecards/dispatch. When
    /// set, this process also calls it about once a second to send scheduled e-cards, with the
    /// secret from the SBH_DISPATCH_SECRET environment variable.
    #[arg(long, env = "SBH_DISPATCH_URL", value_name = "URL")]
    dispatch_url: Option<String>,
}

#[derive(Args)]
struct RenderArgs {
    /// The photo to draw (JPEG, PNG, GIF or WebP, at most 10 MiB).
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
    #[arg(long, default_value = "15", value_parser = parse_duration, allow_hyphen_values = true)]
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

fn parse_duration(text: &str) -> Result<f64, String> {
    let invalid = || format!("invalid duration {text:?}: expected seconds from 5 to 30");
    let seconds: f64 = text.trim().parse().map_err(|_| invalid())?;
    if !(5.0..=30.0).contains(&seconds) {
        return Err(invalid());
    }
    Ok(seconds)
}

fn main() -> ExitCode {
    // Errors are printed here rather than returned from `main`, so RUST_BACKTRACE never adds a stack
    // trace to a message meant for a person.
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();

    // The server logs its lifecycle by default; the local command only warnings.
    let default_filter = match cli.command {
        Command::Render(_) => "warn",
        Command::Serve(_) => "info",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()),
        )
        .init();

    match cli.command {
        Command::Render(args) => render(&args),
        Command::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let setting = match std::env::var(STORAGE_KEY_ENV) {
        Ok(setting) if !setting.trim().is_empty() => setting,
        Ok(_) | Err(std::env::VarError::NotPresent) => bail!(
            "{STORAGE_KEY_ENV} is not set: set it to the storage key, 64 hex digits or ID:HEX64[,ID:HEX64]"
        ),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{STORAGE_KEY_ENV} is invalid: it is not UTF-8 text"),
    };
    let keyring = store::Keyring::parse(&setting).with_context(|| format!("{STORAGE_KEY_ENV} is invalid"))?;
    drop(setting);

    let workers = match args.workers {
        Some(workers) => usize::from(workers),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let name = match args.name {
        Some(name) if name.trim().is_empty() => bail!("invalid --name: it is empty"),
        Some(name) => name,
        None => format!("{}-{}", host_name(), std::process::id()),
    };
    let scheduler = match args.dispatch_url.filter(|url| !url.trim().is_empty()) {
        None => None,
        Some(url) => {
            let secret = std::env::var(DISPATCH_SECRET_ENV).unwrap_or_default();
            if secret.trim().is_empty() {
                bail!(
                    "--dispatch-url is set but {DISPATCH_SECRET_ENV} is not: set it to the dispatch_secret value"
                );
            }
            let config = render_worker::serve::scheduler::SchedulerConfig::new(&url, &secret)
                .with_context(|| format!("invalid --dispatch-url or {DISPATCH_SECRET_ENV}"))?;
            Some(config)
        }
    };
    render_worker::serve::run(render_worker::serve::ServeConfig {
        redis_url: args.redis_url,
        keyring,
        workers,
        name,
        reaper_interval: Duration::from_secs(args.reaper_interval_secs),
        grace: Duration::from_secs(args.grace_secs),
        scheduler,
    })
}

/// Returns the machine's host name, or `render-worker` where the system does not expose it.
fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "render-worker".to_owned())
}

fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let started = Instant::now();
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

    // Step 2: frames are drawn and encoded, with a progress bar when stderr is a terminal.
    let progress = progress_bar();
    let rendered =
        render_worker::pipeline::render_video(&strokes, &spec, args.encoder_threads, |done, total| {
            progress.set_length(u64::from(total));
            progress.set_position(u64::from(done));
        })?;
    progress.finish_and_clear();

    // Step 3: every output is prepared in memory, then written; a failed write removes the others.
    let mut outputs = vec![(args.output.clone(), rendered.mp4.clone())];
    if let Some(path) = &args.poster {
        outputs.push((path.clone(), poster_png(&strokes, &spec)?));
    }
    if let Some(path) = &args.strokes {
        outputs
            .push((path.clone(), strokes::svg::to_svg(&strokes, args.background, args.sketch).into_bytes()));
    }
    write_all_or_none(&outputs)?;

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

/// Returns the finished drawing as PNG bytes, whatever the poster path's extension.
fn poster_png(strokes: &strokes::StrokeSet, spec: &AnimationSpec) -> anyhow::Result<Vec<u8>> {
    let frame = animation::Animation::new(strokes, spec)?.render_final();
    let image = image::RgbImage::from_raw(frame.width(), frame.height(), frame.to_rgb())
        .context("final frame has the wrong size")?;
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).context("failed to encode the poster PNG")?;
    Ok(png.into_inner())
}

/// Writes every file, or none: after a failed write the files already written are removed.
fn write_all_or_none(outputs: &[(PathBuf, Vec<u8>)]) -> anyhow::Result<()> {
    for (index, (path, bytes)) in outputs.iter().enumerate() {
        if let Err(error) = fs::write(path, bytes) {
            for (written, _) in &outputs[..index] {
                let _ = fs::remove_file(written);
            }
            return Err(error).with_context(|| format!("failed to write {}", path.display()));
        }
    }
    Ok(())
}
