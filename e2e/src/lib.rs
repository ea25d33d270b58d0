//! A harness that starts the whole local stack for end-to-end tests, on real parts.
//!
//! [`Stack::start`] launches `redis-server` on a free loopback port, the devhost serving `spin.toml`
//! with the built WebAssembly components, and a pool of `render-worker serve` processes. Every process
//! is killed when the stack is dropped. The binaries are found through environment variables that
//! `scripts/test.sh` sets after building them: `SBH_DEVHOST_BIN`, `SBH_WASM_DIR` and
//! `RENDER_WORKER_BIN`.
#![forbid(unsafe_code)]

pub mod http;
pub mod video;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The storage key the tests configure (64 hex digits); only ever used on loopback.
pub const TEST_STORAGE_KEY: &str = "1:5bd0a4e0c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";

/// Path of the repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{name} is not set; run the tests through scripts/test.sh, which builds and sets it")
    })
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a loopback port").local_addr().unwrap().port()
}

/// A process that is killed on drop.
pub struct Process {
    /// The running child.
    pub child: Child,
}

impl Process {
    /// Returns the process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL and waits for the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A redis-server on a free loopback port, without persistence.
pub struct RedisServer {
    process: Process,
    /// The server's port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts redis-server and waits until it replies to PING.
    pub fn start() -> Self {
        let port = free_port();
        Self::start_on(port)
    }

    /// Starts redis-server on `port` and waits until it replies to PING.
    pub fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (scripts/setup.sh installs it)");
        let server = Self { process: Process { child }, port };
        let started = Instant::now();
        loop {
            if let Ok(mut connection) = server.client().get_connection()
                && redis::cmd("PING").query::<String>(&mut connection).is_ok()
            {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start on port {}",
                port
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Returns the `redis://` URL of the server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Returns a client for the server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("valid redis url")
    }

    /// Returns a new connection.
    pub fn connection(&self) -> redis::Connection {
        self.client().get_connection().expect("connect to redis-server")
    }

    /// Stops the server.
    pub fn stop(&mut self) {
        self.process.kill();
    }
}

/// The devhost serving spin.toml.
pub struct Devhost {
    process: Process,
    /// Base URL, such as `http://127.0.0.1:43123`.
    pub base_url: String,
}

impl Devhost {
    /// Starts the devhost with the given Spin variables and waits for its listening line.
    pub fn start(variables: &[(&str, String)]) -> Self {
        Self::start_with_manifest(&repo_root().join("spin.toml"), variables)
    }

    /// Starts the devhost on another manifest, such as a changed copy of `spin.toml`.
    pub fn start_with_manifest(manifest: &std::path::Path, variables: &[(&str, String)]) -> Self {
        let mut command = Command::new(env_path("SBH_DEVHOST_BIN"));
        command
            .arg("--manifest")
            .arg(manifest)
            .args(["--listen", "127.0.0.1:0", "--wasm-dir"])
            .arg(env_path("SBH_WASM_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in variables {
            command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
        }
        let mut child = command.spawn().expect("devhost starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("devhost prints its address").expect("readable stdout");
        let base_url = first
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in devhost's first line: {first}"))
            .to_owned();
        // Keep draining stdout so the devhost never blocks on a full pipe.
        thread::spawn(move || for _ in lines {});
        Self { process: Process { child }, base_url }
    }

    /// Returns the devhost's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

/// Starts `count` render-worker serve processes, one worker thread each.
pub fn start_workers(redis_url: &str, count: usize) -> Vec<Process> {
    (0..count)
        .map(|index| {
            let child = Command::new(env_path("RENDER_WORKER_BIN"))
                .args(["serve", "--workers", "1", "--name", &format!("e2e-{index}")])
                .env("REDIS_URL", redis_url)
                .env("SBH_STORAGE_KEY", TEST_STORAGE_KEY)
                .stdout(Stdio::null())
                .spawn()
                .expect("render-worker serve starts");
            Process { child }
        })
        .collect()
}

/// The whole stack: Redis, devhost and workers.
pub struct Stack {
    /// HTTP agent that returns every status instead of failing on 4xx and 5xx.
    pub http: ureq::Agent,
    /// The workers (dropped first).
    pub workers: Vec<Process>,
    /// The devhost.
    pub devhost: Devhost,
    /// The Redis server.
    pub redis: RedisServer,
}

impl Stack {
    /// Starts Redis, the devhost and `workers` render workers.
    pub fn start(workers: usize) -> Self {
        let redis = RedisServer::start();
        let devhost = Devhost::start(&[
            ("redis_url", redis.url()),
            ("redis_host", format!("127.0.0.1:{}", redis.port)),
            ("storage_key", TEST_STORAGE_KEY.to_owned()),
        ]);
        let workers = start_workers(&redis.url(), workers);
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { http, workers, devhost, redis }
    }

    /// Returns the devhost's process id.
    pub fn devhost_pid(&self) -> u32 {
        self.devhost.pid()
    }

    /// Returns the absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.devhost.base_url, path)
    }
}
