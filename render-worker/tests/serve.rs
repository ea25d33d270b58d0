//! `render-worker serve` against a real redis-server on a free loopback port, with orders seeded
//! exactly as the portrait component writes them and the real binary as the worker.
//!
//! These tests cannot catch a component that writes orders differently; the end-to-end tests cover
//! that.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use animation::Style;
use redis::Connection;
use store::{
    Keyring, OrderId, OrderKeys, OrderOptions, OrderRecord, OrderStatus, OrderToken, Plan, QueueKeys,
};
use strokes::{Rgb, StrokeSet};
use tempfile::TempDir;

/// Storage key of every test; the workers get it through SBH_STORAGE_KEY.
const STORAGE_KEY: &str = "5f0c1e2d3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Maximum wait for a render of a few seconds of video on a busy two-core machine.
const RENDER_TIMEOUT: Duration = Duration::from_secs(120);

fn keyring() -> Keyring {
    Keyring::parse(STORAGE_KEY).unwrap()
}

/// A redis-server on a free loopback port, stopped when dropped.
struct RedisServer {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl RedisServer {
    fn start() -> Self {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Self {
        let dir = TempDir::new().unwrap();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        let server = Self { child, port, _dir: dir };
        wait_for("redis-server to accept connections", Duration::from_secs(10), || {
            let mut con = redis::Client::open(server.url()).ok()?.get_connection().ok()?;
            redis::cmd("PING").query::<String>(&mut con).ok()
        });
        server
    }

    fn url(&self) -> String {
        url_for_port(self.port)
    }

    fn connection(&self) -> Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url_for_port(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `render-worker serve` process with its log in a temporary file, killed when dropped.
struct Worker {
    child: Child,
    log_path: PathBuf,
    _dir: TempDir,
}

impl Worker {
    fn start(redis_url: &str, name: &str, extra_args: &[&str]) -> Self {
        Self::start_with_env(redis_url, name, extra_args, &[])
    }

    fn start_with_env(redis_url: &str, name: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new().unwrap();
        let log_path = dir.path().join("worker.log");
        let child = Command::new(env!("CARGO_BIN_EXE_render-worker"))
            .args(["serve", "--workers", "1", "--name", name])
            .args(extra_args)
            .env("REDIS_URL", redis_url)
            .env("SBH_STORAGE_KEY", STORAGE_KEY)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        Self { child, log_path, _dir: dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn send_signal(&self, signal: &str) {
        let status =
            Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -s {signal} failed");
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let child = &mut self.child;
        wait_for("the worker to exit", timeout, || child.try_wait().unwrap())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            eprintln!("--- worker log ---\n{}", self.log());
        }
    }
}

/// Polls `check` every 5 ms until it returns a value, and panics naming `condition` after `timeout`.
fn wait_for<T>(condition: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {condition}");
        thread::sleep(Duration::from_millis(5));
    }
}

fn astronaut_strokes() -> &'static StrokeSet {
    static STROKES: OnceLock<StrokeSet> = OnceLock::new();
    STROKES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples/astronaut.png");
        strokes::photo_to_strokes(&std::fs::read(path).unwrap()).unwrap()
    })
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Creates an order the way the portrait component does: strokes, record, then the job.
fn seed_order(con: &mut Connection, width: u32, height: u32, duration_ms: u32) -> (OrderId, OrderRecord) {
    let ring = keyring();
    let id = OrderToken::generate().unwrap().order_id();
    let keys = OrderKeys::new(&id);
    let options = OrderOptions {
        style: Style::Epicycles,
        width,
        height,
        duration_ms,
        background: Rgb::new(0xfd, 0xfb, 0xf7),
        sketch: Rgb::new(0x1d, 0x2a, 0x3a),
        plan: Plan::Single,
    };
    let record = OrderRecord::new(options, now_ms());

    let strokes = ring.seal(&keys.strokes(), &astronaut_strokes().to_bytes()).unwrap();
    set_pxat(con, &keys.strokes(), &strokes, record.expires_at_ms);
    let sealed_record = ring.seal(&keys.record(), &record.to_json()).unwrap();
    set_pxat(con, &keys.record(), &sealed_record, record.expires_at_ms);
    redis::cmd("LPUSH").arg(QueueKeys::PENDING).arg(id.as_str()).query::<()>(con).unwrap();
    (id, record)
}

fn set_pxat(con: &mut Connection, key: &str, value: &[u8], expires_at_ms: u64) {
    redis::cmd("SET").arg(key).arg(value).arg("PXAT").arg(expires_at_ms).query::<()>(con).unwrap();
}

fn read_record(con: &mut Connection, id: &OrderId) -> Option<OrderRecord> {
    let key = OrderKeys::new(id).record();
    let sealed: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query(con).unwrap();
    let json = keyring().open(&key, &sealed?).unwrap();
    Some(OrderRecord::from_json(&json).unwrap())
}

fn wait_for_status(
    con: &mut Connection,
    id: &OrderId,
    condition: &str,
    timeout: Duration,
    accept: impl Fn(&OrderStatus) -> bool,
) -> OrderRecord {
    wait_for(condition, timeout, || read_record(con, id).filter(|record| accept(&record.status)))
}

fn list(con: &mut Connection, key: &str) -> Vec<String> {
    redis::cmd("LRANGE").arg(key).arg(0).arg(-1).query(con).unwrap()
}

fn keys_matching(con: &mut Connection, pattern: &str) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query(con).unwrap();
    keys.sort();
    keys
}

fn exists(con: &mut Connection, key: &str) -> bool {
    redis::cmd("EXISTS").arg(key).query(con).unwrap()
}

/// Reads every MP4 chunk of a ready order, opens it and joins the chunks.
fn read_video(con: &mut Connection, id: &OrderId, chunk_count: u32) -> Vec<u8> {
    let keys = OrderKeys::new(id);
    let mut mp4 = Vec::new();
    for index in 0..chunk_count {
        let key = keys.mp4_chunk(index);
        let sealed: Vec<u8> = redis::cmd("GET").arg(&key).query(con).unwrap();
        mp4.extend(keyring().open(&key, &sealed).unwrap());
    }
    mp4
}

fn ffprobe_video_stream(mp4: &[u8]) -> serde_json::Value {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("video.mp4");
    std::fs::write(&path, mp4).unwrap();
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries"])
        .arg("stream=codec_name,width,height,nb_read_frames")
        .args(["-of", "json"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    assert!(output.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["streams"][0].clone()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn order_renders_to_ready_mp4() {
    let redis = RedisServer::start();
    let mut con = redis.connection();
    let (id, seeded) = seed_order(&mut con, 720, 720, 5_000);
    let keys = OrderKeys::new(&id);
    let worker = Worker::start(&redis.url(), "main", &[]);

    // The status moves Queued → Rendering → Ready, with progress that never goes back.
    let mut states = Vec::new();
    let ready = wait_for("the order to be ready", RENDER_TIMEOUT, || {
        let record = read_record(&mut con, &id).expect("the record exists while rendering");
        if states.last() != Some(&record.status) {
            states.push(record.status.clone());
        }
        (record.status == OrderStatus::Ready).then_some(record)
    });
    assert_eq!(states.first(), Some(&OrderStatus::Queued), "states: {states:?}");
    assert!(states.iter().any(|state| matches!(state, OrderStatus::Rendering { .. })), "states: {states:?}");
    let percents: Vec<u8> = states
        .iter()
        .filter_map(|state| match state {
            OrderStatus::Rendering { percent } => Some(*percent),
            _ => None,
        })
        .collect();
    assert!(percents.windows(2).all(|pair| pair[0] < pair[1]), "percents: {percents:?}");
    assert_eq!(ready.attempts, 1);
    assert_eq!(ready.expires_at_ms, seeded.expires_at_ms);

    // The chunks open and join into the MP4 the record describes.
    let video = ready.video.clone().expect("a ready order describes its video");
    let mp4 = read_video(&mut con, &id, video.chunk_count);
    assert_eq!(mp4.len() as u64, video.size_bytes);
    assert_eq!(video, store::VideoInfo::for_mp4(&mp4, 150));
    assert!(!exists(&mut con, &keys.mp4_chunk(video.chunk_count)), "no chunk past the count");
    let stream = ffprobe_video_stream(&mp4);
    assert_eq!(stream["codec_name"], "h264");
    assert_eq!(stream["width"], 720);
    assert_eq!(stream["height"], 720);
    assert_eq!(stream["nb_read_frames"], "150");

    // The point cloud is gone, and the job left the queue.
    assert!(!exists(&mut con, &keys.strokes()));
    assert!(list(&mut con, QueueKeys::PROCESSING).is_empty());
    assert!(list(&mut con, QueueKeys::PENDING).is_empty());
    assert!(!exists(&mut con, &QueueKeys::claim(&id)));

    // Every remaining order key expires at the order's instant.
    let order_keys = keys_matching(&mut con, &keys.pattern());
    assert_eq!(order_keys.len(), 1 + video.chunk_count as usize, "keys: {order_keys:?}");
    for key in &order_keys {
        let expire_time_ms: i64 = redis::cmd("PEXPIRETIME").arg(key).query(&mut con).unwrap();
        assert_eq!(expire_time_ms, seeded.expires_at_ms as i64, "{key}");
    }

    // No value contains plaintext: no MP4 box, no record JSON, no run of stroke bytes.
    let stroke_bytes = astronaut_strokes().to_bytes();
    let stroke_run = &stroke_bytes[stroke_bytes.len() / 2..][..64];
    for key in keys_matching(&mut con, "*") {
        let kind: String = redis::cmd("TYPE").arg(&key).query(&mut con).unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![redis::cmd("GET").arg(&key).query(&mut con).unwrap()],
            "list" => redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).query(&mut con).unwrap(),
            other => panic!("unexpected {other} key {key}"),
        };
        for value in values {
            assert!(!contains(&value, b"ftyp"), "{key} holds an MP4 box");
            assert!(!contains(&value, b"created_at_ms"), "{key} holds record JSON");
            assert!(!contains(&value, b"\"state\""), "{key} holds record JSON");
            assert!(!contains(&value, stroke_run), "{key} holds stroke bytes");
        }
    }
    assert!(worker.log().contains("render finished"), "log: {}", worker.log());
    assert!(!worker.log().contains(STORAGE_KEY), "the log holds the storage key");
}

#[test]
fn killed_worker_job_is_requeued_and_finishes_once() {
    let redis = RedisServer::start();
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 720, 720, 30_000);

    // The first worker dies mid-render without a word.
    let mut doomed = Worker::start(&redis.url(), "doomed", &[]);
    wait_for_status(&mut con, &id, "the render to start", RENDER_TIMEOUT, |status| {
        matches!(status, OrderStatus::Rendering { .. })
    });
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    assert_eq!(list(&mut con, QueueKeys::PROCESSING), vec![id.to_string()]);

    // Another process's reaper requeues the job once the claim expires, and its worker renders it.
    let survivor = Worker::start(&redis.url(), "survivor", &[]);
    let ready = wait_for_status(&mut con, &id, "the order to be ready", RENDER_TIMEOUT, |status| {
        *status == OrderStatus::Ready
    });
    assert_eq!(ready.attempts, 2);

    // Exactly once: nothing left in either list, and one finished render in the log a while later.
    thread::sleep(Duration::from_secs(2));
    assert!(list(&mut con, QueueKeys::PROCESSING).is_empty());
    assert!(list(&mut con, QueueKeys::PENDING).is_empty());
    let log = survivor.log();
    assert_eq!(log.matches("requeued a job whose claim expired").count(), 1, "log: {log}");
    assert_eq!(log.matches("render finished").count(), 1, "log: {log}");
    let video = ready.video.unwrap();
    let mp4 = read_video(&mut con, &id, video.chunk_count);
    assert_eq!(video, store::VideoInfo::for_mp4(&mp4, 900));
}

#[test]
fn sigterm_after_grace_requeues_job() {
    let redis = RedisServer::start();
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 1080, 1080, 30_000);
    let mut worker = Worker::start(&redis.url(), "stopping", &["--grace-secs", "1"]);
    wait_for_status(&mut con, &id, "the render to start", RENDER_TIMEOUT, |status| {
        matches!(status, OrderStatus::Rendering { .. })
    });

    worker.send_signal("TERM");
    let status = worker.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "log: {}", worker.log());

    // The job is back in the queue as if never taken, attempt not counted.
    assert_eq!(list(&mut con, QueueKeys::PENDING), vec![id.to_string()]);
    assert!(list(&mut con, QueueKeys::PROCESSING).is_empty());
    assert!(!exists(&mut con, &QueueKeys::claim(&id)));
    let record = read_record(&mut con, &id).unwrap();
    assert_eq!(record.status, OrderStatus::Queued);
    assert_eq!(record.attempts, 0);
    assert!(exists(&mut con, &OrderKeys::new(&id).strokes()));
}

#[test]
fn sigterm_within_grace_finishes_job() {
    let redis = RedisServer::start();
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 720, 720, 10_000);
    let mut worker = Worker::start(&redis.url(), "finishing", &[]);
    wait_for_status(&mut con, &id, "the render to start", RENDER_TIMEOUT, |status| {
        matches!(status, OrderStatus::Rendering { .. })
    });

    worker.send_signal("TERM");
    let status = worker.wait_exit(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "log: {}", worker.log());
    let record = read_record(&mut con, &id).unwrap();
    assert_eq!(record.status, OrderStatus::Ready);
    assert!(list(&mut con, QueueKeys::PENDING).is_empty());
    assert!(list(&mut con, QueueKeys::PROCESSING).is_empty());
}

#[test]
fn sigint_stops_idle_worker() {
    let redis = RedisServer::start();
    let mut worker = Worker::start(&redis.url(), "idle", &[]);
    wait_for("the worker to start", Duration::from_secs(30), || {
        worker.log().contains("worker started").then_some(())
    });

    worker.send_signal("INT");
    let status = worker.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "log: {}", worker.log());
    assert!(worker.log().contains("render worker pool stopped"));
}

#[test]
fn order_deleted_during_render_leaves_no_keys() {
    let redis = RedisServer::start();
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 1080, 1080, 30_000);
    let keys = OrderKeys::new(&id);
    let worker = Worker::start(&redis.url(), "deleted", &[]);
    wait_for_status(&mut con, &id, "the render to start", RENDER_TIMEOUT, |status| {
        matches!(status, OrderStatus::Rendering { .. })
    });

    // The orders component's DELETE: every key in one command, and the pending job.
    redis::cmd("DEL").arg(keys.all(0)).query::<()>(&mut con).unwrap();
    redis::cmd("LREM").arg(QueueKeys::PENDING).arg(0).arg(id.as_str()).query::<()>(&mut con).unwrap();

    wait_for("the worker to drop the job", RENDER_TIMEOUT, || {
        list(&mut con, QueueKeys::PROCESSING).is_empty().then_some(())
    });
    thread::sleep(Duration::from_millis(500));
    assert_eq!(keys_matching(&mut con, &keys.pattern()), Vec::<String>::new());
    assert!(!exists(&mut con, &QueueKeys::claim(&id)));
    assert!(list(&mut con, QueueKeys::PENDING).is_empty());
    assert!(worker.log().contains("order deleted or expired during the render"), "log: {}", worker.log());
}

#[test]
fn corrupt_strokes_fail_after_three_attempts() {
    let redis = RedisServer::start();
    let mut con = redis.connection();

    // One value that does not open, and one that opens but is not a stroke set.
    let (garbled, garbled_record) = seed_order(&mut con, 720, 720, 5_000);
    let garbled_key = OrderKeys::new(&garbled).strokes();
    set_pxat(&mut con, &garbled_key, &[7u8; 200], garbled_record.expires_at_ms);
    let (not_strokes, not_strokes_record) = seed_order(&mut con, 720, 720, 5_000);
    let not_strokes_key = OrderKeys::new(&not_strokes).strokes();
    let sealed = keyring().seal(&not_strokes_key, b"not a stroke set").unwrap();
    set_pxat(&mut con, &not_strokes_key, &sealed, not_strokes_record.expires_at_ms);

    let worker = Worker::start(&redis.url(), "corrupt", &[]);
    for id in [&garbled, &not_strokes] {
        let failed = wait_for_status(&mut con, id, "the order to fail", RENDER_TIMEOUT, |status| {
            matches!(status, OrderStatus::Failed { .. })
        });
        assert_eq!(failed.attempts, 3);
        let OrderStatus::Failed { reason } = failed.status else { unreachable!() };
        assert_eq!(reason, "rendering failed 3 times: the drawing data cannot be read");
        assert!(failed.video.is_none());
    }
    // A failed order keeps its record, which shows the reason, but not its strokes.
    for key in [&garbled_key, &not_strokes_key] {
        let exists: bool = redis::cmd("EXISTS").arg(key).query(&mut con).unwrap();
        assert!(!exists, "{key} outlived the failed order");
    }
    wait_for("the jobs to leave the queue", Duration::from_secs(10), || {
        list(&mut con, QueueKeys::PROCESSING).is_empty().then_some(())
    });
    assert!(list(&mut con, QueueKeys::PENDING).is_empty());
    assert_eq!(worker.log().matches("attempt failed; job requeued").count(), 4, "log: {}", worker.log());
}

#[test]
fn redis_unavailable_at_start_or_later_is_retried() {
    let port = free_port();
    let worker = Worker::start(&url_for_port(port), "patient", &[]);
    wait_for("the worker to report redis unavailable", Duration::from_secs(30), || {
        worker.log().contains("redis unavailable; retrying").then_some(())
    });

    // Redis comes up: the worker connects and renders.
    let redis = RedisServer::start_on(port);
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 720, 720, 5_000);
    let ready = wait_for_status(&mut con, &id, "the order to be ready", RENDER_TIMEOUT, |status| {
        *status == OrderStatus::Ready
    });
    assert_eq!(ready.attempts, 1);

    // Redis goes away and comes back empty: the worker reconnects and renders the next order.
    drop(con);
    drop(redis);
    wait_for("the worker to lose redis", Duration::from_secs(30), || {
        worker.log().contains("redis command failed; reconnecting").then_some(())
    });
    let redis = RedisServer::start_on(port);
    let mut con = redis.connection();
    let (id, _) = seed_order(&mut con, 720, 720, 5_000);
    wait_for_status(&mut con, &id, "the order to be ready", RENDER_TIMEOUT, |status| {
        *status == OrderStatus::Ready
    });
    assert!(!worker.log().contains("panicked"), "log: {}", worker.log());
}

#[test]
fn missing_or_invalid_storage_key_is_rejected() {
    // Port 1 is never contacted: the key is checked before any connection.
    let bad_key = &STORAGE_KEY[..63];
    for (setting, expected) in [
        (None, "SBH_STORAGE_KEY is not set"),
        (Some(""), "SBH_STORAGE_KEY is not set"),
        (Some(bad_key), "SBH_STORAGE_KEY is invalid"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_render-worker"));
        command.args(["serve", "--redis-url", &url_for_port(1)]).env_remove("SBH_STORAGE_KEY");
        if let Some(setting) = setting {
            command.env("SBH_STORAGE_KEY", setting);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{setting:?} was accepted");
        assert!(stderr.contains(expected), "{setting:?}: {stderr}");
        assert!(!stderr.contains(bad_key), "the error shows the key");
    }
}

/// One call the dispatch stand-in received.
struct DispatchCall {
    at: Instant,
    request_line: String,
    authorization: Option<String>,
}

/// Starts a loopback stand-in for the ecards dispatch endpoint. It records every call, returns
/// `401` to the first `rejected` calls and `200` to later ones.
fn start_dispatch_stand_in(rejected: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<DispatchCall>>>) {
    use std::io::{BufRead, BufReader, Write};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/api/ecards/dispatch", listener.local_addr().unwrap().port());
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = calls.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut authorization = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("authorization")
                {
                    authorization = Some(value.trim().to_owned());
                }
            }
            let mut calls = recorded.lock().unwrap();
            let status = if calls.len() < rejected { "401 Unauthorized" } else { "200 OK" };
            calls.push(DispatchCall {
                at: Instant::now(),
                request_line: request_line.trim().to_owned(),
                authorization,
            });
            drop(calls);
            let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, calls)
}

#[test]
fn scheduler_calls_dispatch_every_second() {
    const SECRET: &str = "dispatch-secret-for-worker-tests";
    let redis = RedisServer::start();
    let (url, calls) = start_dispatch_stand_in(2);
    let mut worker = Worker::start_with_env(
        &redis.url(),
        "scheduler",
        &["--dispatch-url", &url],
        &[("SBH_DISPATCH_SECRET", SECRET)],
    );
    wait_for("five dispatch calls", Duration::from_secs(15), || {
        (calls.lock().unwrap().len() >= 5).then_some(())
    });

    {
        let calls = calls.lock().unwrap();
        for call in calls.iter() {
            assert_eq!(call.request_line, "POST /api/ecards/dispatch HTTP/1.1");
            assert_eq!(call.authorization.as_deref(), Some(format!("Bearer {SECRET}").as_str()));
        }
        for pair in calls.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(gap >= Duration::from_millis(800), "calls {gap:?} apart");
            assert!(gap <= Duration::from_millis(2_500), "calls {gap:?} apart");
        }
    }
    let log = worker.log();
    assert!(log.contains("e-card dispatch failed"), "log: {log}");
    assert!(log.contains("HTTP 401"), "log: {log}");
    assert!(log.contains("e-card dispatch works again"), "log: {log}");
    assert!(!log.contains(SECRET), "the log shows the secret: {log}");

    // The scheduler never holds up a stop.
    worker.send_signal("TERM");
    let status = worker.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "log: {}", worker.log());
}

#[test]
fn dispatch_url_without_secret_is_rejected() {
    let output = Command::new(env!("CARGO_BIN_EXE_render-worker"))
        .args([
            "serve",
            "--redis-url",
            &url_for_port(1),
            "--dispatch-url",
            "http://127.0.0.1:1/api/ecards/dispatch",
        ])
        .env("SBH_STORAGE_KEY", STORAGE_KEY)
        .env_remove("SBH_DISPATCH_SECRET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("SBH_DISPATCH_SECRET is not"), "{stderr}");
}
