// Plays rendered MP4s in Debian's headless Chromium, as a visitor's browser would.
//
// Each test renders a video with the render-worker binary (RENDER_WORKER_BIN), serves it with a
// page holding a <video> element from a loopback HTTP server, and waits for the `ended` event.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const renderWorker = process.env.RENDER_WORKER_BIN;
const chromiumPath = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const workDir = mkdtempSync(join(tmpdir(), "sbh-browser-"));

let server;
let baseUrl;
let browser;

function renderSample(name, extraArgs) {
  assert.ok(renderWorker, "RENDER_WORKER_BIN must name the render-worker binary");
  const output = join(workDir, `${name}.mp4`);
  execFileSync(renderWorker, ["render", join(repoRoot, "assets/samples/astronaut.png"), "-o", output, ...extraArgs], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return output;
}

// Serves the page and the MP4s, with Range support, since Chromium fetches media by ranges.
function serveFile(request, response) {
  const url = new URL(request.url, "http://127.0.0.1");
  if (url.pathname === "/") {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><title>player</title><video id="player" muted playsinline></video>`);
    return;
  }
  const path = join(workDir, url.pathname.replace(/[^a-z0-9.-]/gi, ""));
  let size;
  try {
    size = statSync(path).size;
  } catch {
    response.writeHead(404).end();
    return;
  }
  const bytes = readFileSync(path);
  const range = /bytes=(\d*)-(\d*)/.exec(request.headers.range ?? "");
  if (range) {
    const start = range[1] === "" ? size - Number(range[2]) : Number(range[1]);
    const end = range[1] !== "" && range[2] !== "" ? Math.min(Number(range[2]), size - 1) : size - 1;
    response.writeHead(206, {
      "Content-Type": "video/mp4",
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Content-Length": end - start + 1,
      "Accept-Ranges": "bytes",
    });
    response.end(bytes.subarray(start, end + 1));
    return;
  }
  response.writeHead(200, { "Content-Type": "video/mp4", "Content-Length": size, "Accept-Ranges": "bytes" });
  response.end(bytes);
}

before(async () => {
  server = createServer(serveFile);
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
  rmSync(workDir, { recursive: true, force: true });
});

async function playToEnd(fileName) {
  const page = await browser.newPage();
  try {
    await page.goto(`${baseUrl}/`);
    return await page.evaluate(
      (source) =>
        new Promise((done, fail) => {
          const video = document.getElementById("player");
          const timer = setTimeout(() => fail(new Error(`no 'ended' event; currentTime ${video.currentTime}`)), 60_000);
          video.addEventListener("error", () => fail(new Error(`media error ${video.error?.code}: ${video.error?.message}`)));
          video.addEventListener("ended", () => {
            clearTimeout(timer);
            done({
              duration: video.duration,
              currentTime: video.currentTime,
              width: video.videoWidth,
              height: video.videoHeight,
              decodedFrames: video.getVideoPlaybackQuality().totalVideoFrames,
            });
          });
          video.playbackRate = 4;
          video.src = source;
          video.play().catch(fail);
        }),
      `/${fileName}`,
    );
  } finally {
    await page.close();
  }
}

test("epicycles video plays to its end in Chromium", async () => {
  renderSample("epicycles", ["--style", "epicycles", "--size", "720x720", "--duration", "6"]);
  const result = await playToEnd("epicycles.mp4");
  assert.equal(result.width, 720);
  assert.equal(result.height, 720);
  assert.ok(Math.abs(result.duration - 6) < 0.05, `duration ${result.duration}`);
  assert.ok(Math.abs(result.currentTime - 6) < 0.05, `ended at ${result.currentTime}`);
  assert.ok(result.decodedFrames > 0, `decoded ${result.decodedFrames} frames`);
});

test("pen video in portrait size plays to its end", async () => {
  renderSample("pen", ["--style", "pen", "--size", "1080x1920", "--duration", "5", "--background", "#102030", "--sketch", "#f0e0a0"]);
  const result = await playToEnd("pen.mp4");
  assert.equal(result.width, 1080);
  assert.equal(result.height, 1920);
  assert.ok(Math.abs(result.duration - 5) < 0.05, `duration ${result.duration}`);
});
