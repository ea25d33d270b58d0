//! End-to-end tests: devhost serving a real spin-sdk 5.2.0 component.
//!
//! The test builds `tests/fixtures/echo` for `wasm32-wasip2` (it needs that Rust target
//! installed), starts `redis-server` on a free loopback port and a one-shot upstream HTTP
//! server, writes a manifest into a temporary folder and runs the `devhost` binary on it. All
//! traffic stays on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when the test ends, pass or fail.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the echo component and returns the folder holding `echo.wasm`.
fn build_echo_component() -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/echo");
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| fixture.join("target"));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&fixture)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .expect("failed to run cargo for the echo fixture");
    assert!(status.success(), "building the echo fixture failed (is the wasm32-wasip2 target installed?)");
    target_dir.join("wasm32-wasip2/release")
}

/// Returns a port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts redis-server on a free loopback port, without persistence.
fn start_redis() -> (Process, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server must be installed for this test");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Process(child), port)
}

/// Starts an upstream server on 127.0.0.1 that returns 204 for every request.
fn start_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
        }
    });
    port
}

/// Writes the test manifest and its static file into a new temporary folder.
fn write_app(redis_port: u16, upstream_port: u16, required_variable: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/hello.txt"), "hello from a mounted file\n").unwrap();
    let required = if required_variable { "storage_key = { required = true, secret = true }" } else { "" };
    let manifest = format!(
        r#"
spin_manifest_version = 2

[application]
name = "echo-test"
version = "0.1.0"

[variables]
greeting_word = {{ default = "hi" }}
redis_port = {{ default = "{redis_port}" }}
{required}

[[trigger.http]]
route = "/echo/..."
component = "echo"

[[trigger.http]]
route = "/moved"
static_response = {{ status_code = 302, headers = {{ location = "/echo/variable" }} }}

[component.echo]
source = "target/wasm32-wasip2/release/echo.wasm"
files = ["static/*.txt"]
allowed_outbound_hosts = ["redis://127.0.0.1:{{{{ redis_port }}}}", "http://127.0.0.1:{upstream_port}"]
[component.echo.variables]
greeting = "{{{{ greeting_word }}}} devhost"
redis_url = "redis://127.0.0.1:{{{{ redis_port }}}}"
upstream_url = "http://127.0.0.1:{upstream_port}/up"
"#
    );
    std::fs::write(dir.path().join("spin.toml"), manifest).unwrap();
    dir
}

/// Starts devhost on a free port and returns it with its base URL address (`127.0.0.1:port`).
fn start_devhost(app_dir: &Path, wasm_dir: &Path) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .arg("--manifest")
        .arg(app_dir.join("spin.toml"))
        .args(["--listen", "127.0.0.1:0", "--max-body-bytes", "1024", "--wasm-dir"])
        .arg(wasm_dir)
        .env("SPIN_VARIABLE_GREETING_WORD", "hello")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let address = first_line
        .trim()
        .strip_prefix("devhost listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned();
    (Process(child), address)
}

/// A minimal HTTP/1.1 response.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// Sends one request with `connection: close` and reads the whole response.
fn send(address: &str, method: &str, path: &str, extra_headers: &str, body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head =
        format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n{extra_headers}\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        decode_chunked(body)
    } else {
        body.to_owned()
    };
    Reply { status, head: head.to_owned(), body }
}

/// Decodes a chunked response body (text only, which is all the echo component sends).
fn decode_chunked(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).expect("invalid chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

/// Sends a GET request.
fn get(address: &str, path: &str) -> Reply {
    send(address, "GET", path, "", b"")
}

#[test]
fn echo_component_runs_with_all_host_features() {
    let wasm_dir = build_echo_component();
    let (mut redis, redis_port) = start_redis();
    let upstream_port = start_upstream();
    let app = write_app(redis_port, upstream_port, false);
    let (_devhost, address) = start_devhost(app.path(), &wasm_dir);

    // Variables: the template expands an application variable set from the environment.
    let reply = get(&address, "/echo/variable");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "hello devhost");

    let reply = get(&address, "/echo/undefined-variable");
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("Undefined"), "{}", reply.body);

    // Redis: SET and GET through `execute`, and the key is really in Redis.
    let reply = get(&address, "/echo/redis");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "value-1");
    let client = redis::Client::open(format!("redis://127.0.0.1:{redis_port}")).unwrap();
    let mut connection = client.get_connection().unwrap();
    let stored: String = redis::cmd("GET").arg("devhost:echo").query(&mut connection).unwrap();
    assert_eq!(stored, "value-1");

    // Outbound HTTP: allowed host is reached, others are denied with HttpRequestDenied.
    let reply = get(&address, "/echo/outbound");
    assert_eq!(reply.body, "upstream status 204");
    let reply = get(&address, "/echo/outbound-denied");
    assert_eq!(reply.status, 502);
    assert!(reply.body.contains("HttpRequestDenied"), "{}", reply.body);

    // Spin request headers.
    let reply = get(&address, "/echo/headers?token=abc");
    for expected in [
        "spin-path-info: /headers".to_owned(),
        "spin-matched-route: /echo/...".to_owned(),
        "spin-raw-component-route: /echo/...".to_owned(),
        "spin-component-route: /echo".to_owned(),
        format!("spin-full-url: http://{address}/echo/headers?token=abc"),
        "spin-client-addr: 127.0.0.1:".to_owned(),
    ] {
        assert!(reply.body.contains(&expected), "missing {expected:?} in {}", reply.body);
    }

    // Files: mounted read-only.
    let reply = get(&address, "/echo/file");
    assert_eq!(reply.body, "hello from a mounted file\n");
    assert_eq!(get(&address, "/echo/file-write").status, 403);

    // Routing: unmatched paths, reserved routes and static responses.
    assert_eq!(get(&address, "/nothing").status, 404);
    assert_eq!(get(&address, "/echo").status, 404, "the component answers 404 for empty path info");
    assert_eq!(get(&address, "/.well-known/spin/health").status, 200);
    let reply = get(&address, "/moved");
    assert_eq!(reply.status, 302);
    assert!(reply.head.to_ascii_lowercase().contains("location: /echo/variable"), "{}", reply.head);

    // Body limit: within, declared over, and streamed over the 1024-byte limit.
    let reply = send(&address, "POST", "/echo/body-length", "content-length: 100\r\n", &[7u8; 100]);
    assert_eq!(reply.body, "100");
    let reply = send(&address, "POST", "/echo/body-length", "content-length: 5000000\r\n", b"");
    assert_eq!(reply.status, 413);
    let mut chunked = Vec::new();
    for _ in 0..4 {
        chunked.extend_from_slice(format!("{:x}\r\n", 500).as_bytes());
        chunked.extend_from_slice(&[1u8; 500]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = send(&address, "POST", "/echo/body-length", "transfer-encoding: chunked\r\n", &chunked);
    assert_eq!(reply.status, 413);

    // A trap is a 500, and the host keeps serving.
    assert_eq!(get(&address, "/echo/trap").status, 500);
    assert_eq!(get(&address, "/echo/variable").status, 200);

    // Redis down: the component gets an error and returns 503, and the host keeps serving.
    drop(connection);
    let _ = redis.0.kill();
    let _ = redis.0.wait();
    let reply = get(&address, "/echo/redis");
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.body.contains("Other"), "{}", reply.body);
    assert_eq!(get(&address, "/echo/variable").status, 200);
}

#[test]
fn missing_required_variable_stops_start_up() {
    let app = write_app(1, 1, true);
    let output = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .arg("--manifest")
        .arg(app.path().join("spin.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("SPIN_VARIABLE_STORAGE_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("storage_key"), "{stderr}");
    assert!(stderr.contains("SPIN_VARIABLE_STORAGE_KEY"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing is served, so no URL is printed");
}

#[test]
fn non_loopback_listen_address_is_rejected() {
    let app = write_app(1, 1, false);
    let output = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .arg("--manifest")
        .arg(app.path().join("spin.toml"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
}
