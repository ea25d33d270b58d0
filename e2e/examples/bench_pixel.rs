//! Measures the tracking pixel under load: many keep-alive clients fetch `/t/{token}.gif` from the
//! ecards component on the devhost for a fixed time, then every recorded hit is counted in Redis.
//!
//! Run through `scripts/bench-pixel.sh`, which builds the binaries and sets the paths the harness
//! reads. It starts redis-server and the devhost on loopback, with a loopback stand-in for the
//! Resend API that accepts the one mail sent, and creates one e-card with one recipient. Then
//! `--connections` client threads each hold one HTTP/1.1 connection and send the next request as
//! soon as the previous reply is read. Clients, devhost and Redis share the machine's cores.
//!
//! The report: requests per second over the measured window, the latency percentiles of the
//! individual requests, and the hit count. The component records a hit before it sends the GIF, so
//! once every reply is read the hit list must hold one entry per `200`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use e2e::{Devhost, RedisServer, TEST_STORAGE_KEY};

const DEFAULT_CONNECTIONS: usize = 32;
const DEFAULT_SECONDS: u64 = 10;
const WARM_UP: Duration = Duration::from_secs(2);
const GOAL_REQUESTS_PER_SECOND: f64 = 5_000.0;
const GOAL_P99_MS: f64 = 10.0;
const DESKTOP_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";

/// Which pixel path the clients fetch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The e-card's pixel: per request a Redis read and a write of the hit, which is counted.
    Stored,
    /// A well-formed token that is not stored: one Redis read, nothing recorded.
    Unknown,
    /// A path that is no token: no Redis command, nothing recorded.
    Malformed,
}

fn main() {
    let (connections, seconds, target) = parse_arguments();
    let mail = MailStandIn::start();
    let redis = RedisServer::start();
    let devhost = Devhost::start(&[
        ("redis_url", redis.url()),
        ("redis_host", format!("127.0.0.1:{}", redis.port)),
        ("storage_key", TEST_STORAGE_KEY.to_owned()),
        ("mail_provider", "resend".to_owned()),
        ("mail_api_base", mail.base_url.clone()),
        ("mail_api_token", "re_bench_token".to_owned()),
        ("mail_from_email", "cards@example.com".to_owned()),
        ("site_base_url", "http://127.0.0.1:3000".to_owned()),
    ]);
    let address = devhost.base_url.trim_start_matches("http://").to_owned();

    // One e-card, whose mail carries the pixel path.
    let (id, stored_pixel) = create_ecard(&devhost.base_url, &mail);
    let pixel = match target {
        Target::Stored => stored_pixel,
        Target::Unknown => "/t/AAAAAAAAAAAAAAAAAAAAAA.gif".to_owned(),
        Target::Malformed => "/t/not-a-token.gif".to_owned(),
    };
    let hits_key = format!("ecard:{id}:hits:r0");

    // Warm-up, then the measured window, with the same client threads.
    let warm_up = run_clients(&address, &pixel, connections, WARM_UP);
    let measured = run_clients(&address, &pixel, connections, Duration::from_secs(seconds));

    // Every 200 must have left one hit in Redis.
    let mut connection = redis.connection();
    let recorded: u64 =
        redis::cmd("LLEN").arg(&hits_key).query(&mut connection).expect("LLEN of the hit list");
    let served = if target == Target::Stored { warm_up.ok + measured.ok } else { 0 };
    let lost = served.saturating_sub(recorded);

    let mut latencies = measured.latencies_us;
    latencies.sort_unstable();
    let rate = measured.ok as f64 / measured.elapsed.as_secs_f64();
    let p50 = percentile_ms(&latencies, 50.0);
    let p99 = percentile_ms(&latencies, 99.0);
    let max = latencies.last().map_or(0.0, |&us| us as f64 / 1000.0);
    println!(
        "pixel benchmark: {pixel_kind} pixel, {connections} keep-alive connections, {seconds} s measured \
         after {} s warm-up",
        WARM_UP.as_secs(),
        pixel_kind = match target {
            Target::Stored => "stored",
            Target::Unknown => "unknown-token",
            Target::Malformed => "malformed-path",
        }
    );
    println!("requests:   {} ok, {} failed", measured.ok, measured.failed + warm_up.failed);
    println!("throughput: {rate:.0} requests/s");
    println!("latency:    p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
    let verdict = |met: bool| if met { "met" } else { "missed" };
    let no_hit_lost = if target == Target::Stored {
        println!("hits:       {served} served with 200 (warm-up included), {recorded} recorded, {lost} lost");
        verdict(lost == 0 && recorded == served && measured.failed + warm_up.failed == 0)
    } else {
        println!("hits:       none expected for this pixel, {recorded} recorded");
        "not measured"
    };
    println!(
        "goal:       >= {GOAL_REQUESTS_PER_SECOND:.0} requests/s {}, p99 <= {GOAL_P99_MS:.0} ms {}, no hit lost {no_hit_lost}",
        verdict(rate >= GOAL_REQUESTS_PER_SECOND),
        verdict(p99 <= GOAL_P99_MS),
    );
}

/// Reads `--connections N`, `--seconds N` and `--pixel stored|unknown|malformed`.
fn parse_arguments() -> (usize, u64, Target) {
    let mut connections = DEFAULT_CONNECTIONS;
    let mut seconds = DEFAULT_SECONDS;
    let mut target = Target::Stored;
    let mut arguments = std::env::args().skip(1);
    while let Some(name) = arguments.next() {
        let value = arguments.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match name.as_str() {
            "--connections" => connections = value.parse().expect("--connections is a whole number"),
            "--seconds" => seconds = value.parse().expect("--seconds is a whole number"),
            "--pixel" => {
                target = match value.as_str() {
                    "stored" => Target::Stored,
                    "unknown" => Target::Unknown,
                    "malformed" => Target::Malformed,
                    other => panic!("invalid --pixel {other}; expected stored, unknown or malformed"),
                }
            }
            other => panic!("unknown option {other}; expected --connections, --seconds or --pixel"),
        }
    }
    assert!((1..=1024).contains(&connections), "--connections must be 1 to 1024");
    assert!((1..=600).contains(&seconds), "--seconds must be 1 to 600");
    (connections, seconds, target)
}

/// Posts one e-card and returns its id and the pixel path from the mail the stand-in received.
fn create_ecard(base_url: &str, mail: &MailStandIn) -> (String, String) {
    let body = serde_json::json!({
        "sender": { "name": "Bench", "email": "bench@example.com" },
        "recipients": [{ "name": "Reader", "email": "reader@example.com" }],
        "message": "Benchmark card.",
        "design": "thanks",
    });
    let mut response = ureq::post(format!("{base_url}/api/ecards"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .expect("POST /api/ecards succeeds");
    let created: serde_json::Value =
        serde_json::from_slice(&response.body_mut().read_to_vec().expect("reply body")).expect("JSON reply");
    let id = created["id"].as_str().expect("id in the reply").to_owned();

    let bodies = mail.bodies.lock().unwrap();
    let sent: serde_json::Value =
        serde_json::from_slice(bodies.first().expect("one mail sent")).expect("JSON mail");
    let html = sent["html"].as_str().expect("html in the mail");
    let start = html.find("/t/").expect("pixel link in the mail");
    let end = start + html[start..].find(".gif").expect("pixel link ends in .gif") + ".gif".len();
    (id, html[start..end].to_owned())
}

/// What the client threads measured.
struct Outcome {
    ok: u64,
    failed: u64,
    latencies_us: Vec<u32>,
    elapsed: Duration,
}

/// Runs `connections` client threads for `duration`, each sending requests back to back on one
/// keep-alive connection, and waits until every thread has read its last reply.
fn run_clients(address: &str, pixel: &str, connections: usize, duration: Duration) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let request = format!(
        "GET {pixel} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: {DESKTOP_AGENT}\r\nAccept: image/*\r\n\r\n"
    );
    let started = Instant::now();
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let stop = stop.clone();
            let request = request.clone();
            let address = address.to_owned();
            thread::spawn(move || client(&address, request.as_bytes(), &stop))
        })
        .collect();
    thread::sleep(duration);
    stop.store(true, Ordering::SeqCst);

    let mut outcome = Outcome { ok: 0, failed: 0, latencies_us: Vec::new(), elapsed: Duration::ZERO };
    for handle in threads {
        let (ok, failed, latencies) = handle.join().expect("client thread");
        outcome.ok += ok;
        outcome.failed += failed;
        outcome.latencies_us.extend(latencies);
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// One client: returns the `200` count, the failure count and each request's latency in µs.
fn client(address: &str, request: &[u8], stop: &AtomicBool) -> (u64, u64, Vec<u32>) {
    let stream = TcpStream::connect(address).expect("connect to the devhost");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    let (mut ok, mut failed, mut latencies) = (0u64, 0u64, Vec::with_capacity(64 * 1024));
    while !stop.load(Ordering::Relaxed) {
        let sent_at = Instant::now();
        writer.write_all(request).expect("send a request");
        let status = read_response(&mut reader);
        latencies.push(u32::try_from(sent_at.elapsed().as_micros()).unwrap_or(u32::MAX));
        if status == 200 { ok += 1 } else { failed += 1 }
    }
    (ok, failed, latencies)
}

/// Reads one response and returns its status.
fn read_response(reader: &mut impl BufRead) -> u16 {
    let message = read_message(reader).expect("read a response");
    message.first_line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("status code")
}

/// An HTTP/1.1 request or response as read from a stream.
struct Message {
    first_line: String,
    body: Vec<u8>,
}

/// Reads one message whose body has a `Content-Length` or is chunked, as the devhost sends both
/// its responses and its outbound requests.
fn read_message(reader: &mut impl BufRead) -> Option<Message> {
    let mut first_line = String::new();
    reader.read_line(&mut first_line).ok()?;
    let (mut length, mut chunked) = (0usize, false);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        chunked |= header.starts_with("transfer-encoding:") && header.contains("chunked");
    }
    if !chunked {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        return Some(Message { first_line, body });
    }
    let mut body = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(Message { first_line, body });
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn percentile_ms(sorted_us: &[u32], percent: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * (sorted_us.len() - 1) as f64).round() as usize;
    f64::from(sorted_us[rank]) / 1000.0
}

/// A loopback stand-in for the Resend API that keeps each request body and replies `200`.
struct MailStandIn {
    base_url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MailStandIn {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the mail stand-in");
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let stored = bodies.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(request) = read_message(&mut BufReader::new(&stream)) {
                    stored.lock().unwrap().push(request.body);
                }
                let reply = r#"{"id":"bench"}"#;
                let _ = write!(
                    &stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        Self { base_url, bodies }
    }
}
