// Starts the whole local stack for the browser tests: redis-server on a free loopback port, the
// devhost serving spin.toml with the built components, and render workers.
//
// The binaries come from environment variables that scripts/test.sh sets after building them:
// SBH_DEVHOST_BIN, SBH_WASM_DIR and RENDER_WORKER_BIN. Each process writes its output to a log
// file under test-artifacts/logs/, and errors about a process quote the end of its log.
// Every process is started here and killed by its PID in `Stack.stop()`.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, connect } from "node:net";
import { createInterface } from "node:readline";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const artifactsDir = join(repoRoot, "test-artifacts");

/** The storage key the tests configure (key id 1 and 64 hex digits), used only on loopback. */
export const TEST_STORAGE_KEY = "1:5bd0a4e0c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";

const logsDir = join(artifactsDir, "logs");
// Every process started here that has not exited yet.
const liveProcesses = new Set();
const READY_TIMEOUT_MS = 15_000;

/** Returns the value of the environment variable `name`, or throws saying how to set it. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. Run the tests through scripts/test.sh, which builds the binaries and sets ` +
        "SBH_DEVHOST_BIN, SBH_WASM_DIR and RENDER_WORKER_BIN.",
    );
  }
  return value;
}

/** Returns a port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = createServer();
  await new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", done);
  });
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** Returns the last lines of a log, leaving out a Rust backtrace so the error message shows. */
function tailOf(path, lines = 20) {
  try {
    const log = readFileSync(path, "utf8").split(/\n\s*Stack backtrace:/)[0];
    return log.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A child process that writes its output to a log file. `kill()` sends SIGKILL to its PID and waits. */
class Process {
  constructor(name, command, args, env, { pipeStdout = false } = {}) {
    mkdirSync(logsDir, { recursive: true });
    this.name = name;
    this.logPath = join(logsDir, `${name}.log`);
    const log = createWriteStream(this.logPath);
    this.child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveProcesses.add(this);
    this.exited = new Promise((done) => {
      this.child.once("exit", (code, signal) => {
        liveProcesses.delete(this);
        done({ code, signal });
      });
    });
    this.spawnError = new Promise((done) =>
      this.child.once("error", (error) => {
        liveProcesses.delete(this);
        done(error);
      }),
    );
    this.child.stderr.pipe(log);
    if (!pipeStdout) {
      this.child.stdout.pipe(log);
    }
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** Describes why the process is gone, with the end of its log. */
  describeExit(status) {
    return `${this.name} exited (code ${status.code}, signal ${status.signal}); end of ${this.logPath}:\n${tailOf(this.logPath)}`;
  }

  async kill() {
    if (this.running) {
      try {
        process.kill(this.child.pid, "SIGKILL");
      } catch {
        // The process ended between the check and the signal.
      }
      await this.exited;
    }
  }
}

/** Resolves when `check()` returns true, retrying every 50 ms, and throws `describe()` on timeout. */
async function waitFor(check, describe, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(describe());
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Sends PING to the Redis server on `port` and resolves true when it replies +PONG. */
function redisAnswersPing(port) {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    socket.setTimeout(1000, () => {
      socket.destroy();
      done(false);
    });
    socket.once("error", () => done(false));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) {
        socket.destroy();
        done(reply.startsWith("+PONG"));
      }
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

/** Starts redis-server without persistence on a free loopback port and waits for PING. */
async function startRedis() {
  const port = await freePort();
  const redis = new Process("redis-server", "redis-server", [
    "--bind", "127.0.0.1",
    "--port", String(port),
    "--save", "",
    "--appendonly", "no",
  ]);
  const failure = Promise.race([
    redis.spawnError.then((error) => `redis-server could not start (scripts/setup.sh installs it): ${error.message}`),
    redis.exited.then((status) => redis.describeExit(status)),
  ]);
  let failed = null;
  failure.then((message) => (failed = message));
  await waitFor(
    async () => {
      if (failed) {
        throw new Error(failed);
      }
      return redisAnswersPing(port);
    },
    () => `redis-server did not answer PING on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`,
  );
  return { process: redis, port, url: `redis://127.0.0.1:${port}` };
}

/**
 * Starts the devhost with the given Spin variables (lower-case names such as `redis_url`) and
 * resolves with its base URL, read from its first stdout line `devhost listening on http://…`.
 */
async function startDevhost(name, variables) {
  const env = {};
  for (const [variable, value] of Object.entries(variables)) {
    env[`SPIN_VARIABLE_${variable.toUpperCase()}`] = value;
  }
  const devhost = new Process(
    name,
    requireEnv("SBH_DEVHOST_BIN"),
    ["--manifest", join(repoRoot, "spin.toml"), "--listen", "127.0.0.1:0", "--wasm-dir", requireEnv("SBH_WASM_DIR")],
    env,
    { pipeStdout: true },
  );
  const lines = createInterface({ input: devhost.child.stdout });
  const firstLine = new Promise((done) => lines.once("line", done));
  // Keep reading stdout after the first line so the devhost never blocks on a full pipe.
  lines.on("line", () => {});

  let timer;
  const timeout = new Promise((done) => {
    timer = setTimeout(() => done(null), READY_TIMEOUT_MS * 4);
  });
  const outcome = await Promise.race([
    firstLine.then((line) => ({ line })),
    devhost.exited.then((status) => ({ error: devhost.describeExit(status) })),
    devhost.spawnError.then((error) => ({ error: `${name} could not start: ${error.message}` })),
    timeout.then(() => ({ error: `${name} printed no address within ${READY_TIMEOUT_MS * 4} ms; see ${devhost.logPath}` })),
  ]);
  clearTimeout(timer);
  if (outcome.error) {
    await devhost.kill();
    throw new Error(outcome.error);
  }
  const baseUrl = outcome.line.split(/\s+/).find((word) => word.startsWith("http://"));
  if (!baseUrl || !baseUrl.startsWith("http://127.0.0.1:")) {
    await devhost.kill();
    throw new Error(`${name}'s first stdout line has no http://127.0.0.1 URL: ${outcome.line}`);
  }
  return { process: devhost, baseUrl };
}

/** Starts one `render-worker serve --workers 1` process on the given Redis server. */
function startWorker(name, redisUrl) {
  const worker = new Process(name, requireEnv("RENDER_WORKER_BIN"), ["serve", "--workers", "1", "--name", name], {
    REDIS_URL: redisUrl,
    SBH_STORAGE_KEY: TEST_STORAGE_KEY,
  });
  worker.spawnError.then(() => {});
  return worker;
}

/** Redis, devhosts and render workers. `stop()` kills each one by its PID. */
export class Stack {
  constructor() {
    this.processes = [];
    this.redis = null;
    this.baseUrl = null;
  }

  /**
   * Starts Redis, one devhost with no analytics measurement id, and `workers` render workers.
   * `variables` adds Spin variables to the devhost, such as the mail settings of `mailVariables()`.
   */
  static async start({ workers = 1, variables = {} } = {}) {
    const stack = new Stack();
    try {
      stack.redis = await startRedis();
      stack.processes.push(stack.redis.process);
      stack.baseUrl = await stack.addDevhost("devhost", variables);
      for (let index = 0; index < workers; index++) {
        stack.processes.push(startWorker(`render-worker-${index}`, stack.redis.url));
      }
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /**
   * Starts another devhost on the same Redis server, with extra Spin variables such as
   * `{ ga_measurement_id: "G-TEST1234" }`, and resolves with its base URL.
   */
  async addDevhost(name, extraVariables = {}) {
    const devhost = await startDevhost(name, {
      redis_url: this.redis.url,
      redis_host: `127.0.0.1:${this.redis.port}`,
      storage_key: TEST_STORAGE_KEY,
      ...extraVariables,
    });
    this.processes.push(devhost.process);
    return devhost.baseUrl;
  }

  /** Returns a message naming every process that has exited, or null when all are running. */
  deadProcesses() {
    const dead = this.processes.filter((child) => !child.running);
    if (dead.length === 0) {
      return null;
    }
    return dead
      .map((child) => `${child.name} (PID ${child.pid}) is not running; end of ${child.logPath}:\n${tailOf(child.logPath)}`)
      .join("\n");
  }

  /** Kills the workers, then the devhosts, then Redis, each by its PID. */
  async stop() {
    for (const child of [...this.processes].reverse()) {
      await child.kill();
    }
    this.processes = [];
  }
}

/** The API token the mail stand-in expects in `Authorization: Bearer …`. */
export const MAIL_API_TOKEN = "re_browser_test_token";

/**
 * Starts a loopback HTTP server standing in for the Resend API (the only third-party part of the
 * tests). It records every request (method, path, headers, body) in `received` and replies
 * `200 {"id": …}` as Resend does, or `401` when the bearer token is not `MAIL_API_TOKEN`.
 */
export async function startMailStandIn() {
  const received = [];
  const server = createHttpServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ method: request.method, path: request.url, headers: request.headers, body });
      const authorized = request.headers.authorization === `Bearer ${MAIL_API_TOKEN}`;
      const reply = authorized
        ? { id: `stand-in-${received.length}` }
        : { name: "validation_error", message: "API key is invalid" };
      response.writeHead(authorized ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", done);
  });
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((done) => server.close(done)),
  };
}

/** Returns the ecards component's Spin variables that send mail to the stand-in at `mailApiBase`. */
export function mailVariables(mailApiBase) {
  return {
    mail_provider: "resend",
    mail_api_base: mailApiBase,
    mail_api_token: MAIL_API_TOKEN,
    mail_from_email: "cards@example.com",
    site_base_url: "http://127.0.0.1:3000",
  };
}

// If the test process ends without running `after` (an uncaught error, say), kill the children
// still running so no server outlives the tests.
process.once("exit", () => {
  for (const child of liveProcesses) {
    if (child.running) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // The process ended between the check and the signal.
      }
    }
  }
});
