//! Measures the edge: upload → strokes inside the portrait component (wasm on the devhost) against the
//! same library natively, the devhost's peak memory, and upload → MP4 ready with one worker.
//!
//! Run through `scripts/bench-edge.sh`, which builds the binaries and sets the paths the harness reads.
//! The wasm column is the conversion time the component measures around `strokes::photo_to_strokes`
//! and reports in `Server-Timing`. The round-trip column adds reading the body over HTTP, a fresh
//! instance, sealing and three Redis writes. The native column times the same library call natively.

use std::io::Cursor;
use std::time::{Duration, Instant};

use e2e::Stack;

const RUNS: usize = 7;

fn main() {
    let sample = std::fs::read(e2e::repo_root().join("assets/samples/astronaut.png")).expect("sample photo");
    let large = twelve_megapixel_jpeg(&sample);
    // No worker runs while uploads are timed, so rendering does not compete for the two cores.
    let mut stack = Stack::start(0);

    println!(
        "{:<24} {:>12} {:>12} {:>12} {:>12}   (medians of {RUNS}, ms)",
        "input", "round trip", "wasm", "native", "wasm/native"
    );
    for (name, bytes) in [("astronaut.png 512x512", &sample), ("12 MP JPEG 4000x3000", &large)] {
        let mut wasm_times = Vec::new();
        let round_trip_ms = median_ms(|| {
            // Seconds-long videos keep the worker's queue short while uploads are timed.
            wasm_times.push(upload(&stack, bytes, "style=pen&size=720x720&duration=5"));
        });
        wasm_times.sort_by(f64::total_cmp);
        let wasm_ms = wasm_times[RUNS / 2];
        let native_ms = median_ms(|| {
            strokes::photo_to_strokes(bytes).expect("native conversion");
        });
        println!(
            "{name:<24} {round_trip_ms:>12.1} {wasm_ms:>12.1} {native_ms:>12.1} {:>12.2}",
            wasm_ms / native_ms
        );
    }
    println!("devhost peak resident memory: {:.1} MiB", peak_mib(stack.devhost_pid()));

    // Upload → ready for a 15 s 1080x1080 animation with one worker and an empty queue.
    let mut connection = stack.redis.connection();
    let _: () = redis::cmd("FLUSHDB").query(&mut connection).expect("empty the database");
    stack.workers = e2e::start_workers(&stack.redis.url(), 1);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let body = upload_json(&stack, &sample, "style=epicycles&size=1080x1080&duration=15");
    let token = body["token"].as_str().expect("token").to_owned();
    loop {
        let status = get_json(&stack, &format!("/api/orders/{token}"));
        match status["state"].as_str() {
            Some("ready") => break,
            Some("failed") => panic!("render failed: {status}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    println!(
        "upload -> ready, 15 s 1080x1080 epicycles, one worker: {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

fn twelve_megapixel_jpeg(sample: &[u8]) -> Vec<u8> {
    let photo = image::load_from_memory(sample).expect("decode sample");
    let resized = photo.resize_exact(4000, 3000, image::imageops::FilterType::Triangle).to_rgb8();
    let mut jpeg = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&resized)
        .expect("encode JPEG");
    jpeg.into_inner()
}

fn median_ms(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

/// Uploads a photo and returns the conversion time the component reports in `Server-Timing`.
fn upload(stack: &Stack, bytes: &[u8], options: &str) -> f64 {
    let url = stack.url(&format!("/api/portraits?{options}&age_confirmed=true"));
    let mut response = stack.http.post(url).send(bytes).expect("upload completes");
    let _ = response.body_mut().read_to_vec();
    assert_eq!(response.status().as_u16(), 201, "upload failed");
    let timing = response.headers().get("server-timing").and_then(|value| value.to_str().ok()).unwrap_or("");
    timing
        .split(';')
        .find_map(|part| part.trim().strip_prefix("dur="))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no strokes duration in Server-Timing {timing:?}"))
}

fn upload_json(stack: &Stack, bytes: &[u8], options: &str) -> serde_json::Value {
    let url = stack.url(&format!("/api/portraits?{options}&age_confirmed=true"));
    let mut response = stack.http.post(url).send(bytes).expect("upload completes");
    serde_json::from_slice(&response.body_mut().read_to_vec().expect("body")).expect("JSON")
}

fn get_json(stack: &Stack, path: &str) -> serde_json::Value {
    let mut response = stack.http.get(stack.url(path)).call().expect("request completes");
    serde_json::from_slice(&response.body_mut().read_to_vec().expect("body")).expect("JSON")
}

fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
