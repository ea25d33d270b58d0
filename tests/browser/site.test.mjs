// Drives the Portrait Studio and the order page in headless Chromium against the whole local stack
// (Redis, the devhost with the built components, one render worker), as a visitor would.
//
// Every browser context routes all requests: those to 127.0.0.1 go through, any other is aborted
// and recorded, so no test ever reaches the network (the analytics tests assert on that record).
// Screenshots of each page at desktop and phone sizes go to test-artifacts/screenshots/.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, crc32 } from "node:zlib";
import { chromium } from "playwright-core";
import { playToEnd, waitForFinalStatus } from "./order-page.mjs";
import { Stack, artifactsDir, repoRoot } from "./stack.mjs";

const chromiumPath = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const screenshotsDir = join(artifactsDir, "screenshots");
const astronautPath = join(repoRoot, "assets/samples/astronaut.png");

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const MIB = 1024 * 1024;
const ACTION_TIMEOUT_MS = 10_000;
const GA_MEASUREMENT_ID = "G-TEST1234";
const ANALYTICS_HOSTS = /(^|\.)(googletagmanager\.com|google-analytics\.com|analytics\.google\.com|doubleclick\.net)$/;
// Upload speed while the photo is sent. The 0.8 MB sample then takes about a second, so the progress
// bar shows several intermediate values, whereas an unthrottled loopback upload can finish in one step.
const UPLOAD_BYTES_PER_SECOND = 768 * 1024;

// The Content-Security-Policy every page sends when no analytics measurement id is configured.
const BASE_CSP = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:", "blob:"],
  "media-src": ["'self'", "blob:"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "frame-ancestors": ["'none'"],
  "form-action": ["'self'"],
};

let stack;
let baseUrl;
let analyticsBaseUrl;
let browser;
const openContexts = [];

before(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  stack = await Stack.start({ workers: 1 });
  baseUrl = stack.baseUrl;
  analyticsBaseUrl = await stack.addDevhost("devhost-analytics", { ga_measurement_id: GA_MEASUREMENT_ID });
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

afterEach(async () => {
  for (const context of openContexts.splice(0)) {
    await context.close();
  }
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/**
 * Opens a browser context whose requests to 127.0.0.1 go through and all others are aborted.
 * `offHost` collects the URLs of the aborted requests. With `optOut`, the analytics opt-out is
 * stored in localStorage before any page script runs.
 */
async function openContext({ optOut = false } = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  openContexts.push(context);
  // Every step waits for a condition that a working stack meets in well under a second, so a missing
  // element fails after 10 s instead of Playwright's 30 s default.
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const offHost = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" || url.protocol === "data:" || url.protocol === "blob:") {
      return route.continue();
    }
    offHost.push(url.href);
    return route.abort("blockedbyclient");
  });
  if (optOut) {
    await context.addInitScript(() => window.localStorage.setItem("sbh-analytics-opt-out", "1"));
  }
  return { context, offHost };
}

/** Records the requests the page sends to `pathname`, as "METHOD URL" strings. */
function recordRequests(page, pathname) {
  const requests = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === pathname) {
      requests.push(`${request.method()} ${request.url()}`);
    }
  });
  return requests;
}

/**
 * Saves full-page screenshots at desktop and phone sizes as `<name>-desktop.png` and
 * `<name>-phone.png`, and checks that the page needs no sideways scrolling on the phone.
 */
async function saveScreenshots(page, name) {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(screenshotsDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(screenshotsDir, `${name}-phone.png`), fullPage: true });
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize(DESKTOP);
  assert.ok(pageWidth <= PHONE.width, `${name} is ${pageWidth} px wide on a ${PHONE.width} px phone screen`);
}

/** Returns the trimmed text of the element matching `selector`. */
async function textOf(page, selector) {
  return ((await page.locator(selector).textContent()) ?? "").trim();
}

/** Waits until the element matching `selector` shows non-blank text and returns that text. */
async function waitForText(page, selector, timeout = ACTION_TIMEOUT_MS) {
  await page.waitForFunction(
    (target) => (document.querySelector(target)?.textContent ?? "").trim() !== "",
    selector,
    { timeout },
  );
  return textOf(page, selector);
}

/** Parses a Content-Security-Policy header into a map from directive to its sources. */
function parseCsp(header) {
  const directives = {};
  for (const part of (header ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) {
      directives[name] = sources;
    }
  }
  return directives;
}

/** Sends GET `path` exactly as written (no `..` folding, unlike fetch) to the base URL's server. */
function getRawPath(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const request = httpRequest({ host: hostname, port, path, method: "GET" }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => done({ status: response.statusCode, headers: response.headers, body }));
    });
    request.on("error", fail);
    request.end();
  });
}

/** Encodes a width x height PNG of one flat grey, which has no lines to draw. */
function blankPng(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, checksum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let row = 0; row < height; row++) {
    rows[row * (width + 1)] = 0; // filter type: none
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Ticks the age box and presses the submit button, as a visitor confirming the upload. */
async function confirmAndSubmit(page) {
  await page.check("#age");
  await page.click("#submit");
}

test("portrait flow from photo to deletion", { timeout: 200_000 }, async (t) => {
  const { context, offHost } = await openContext();
  const page = await context.newPage();
  const uploads = recordRequests(page, "/api/portraits");

  // Record every value the upload progress bar shows, across the navigation to the order page.
  const progressValues = [];
  await page.exposeFunction("recordUploadProgress", (value, max) => progressValues.push({ value, max }));
  await page.addInitScript(() => {
    document.addEventListener("DOMContentLoaded", () => {
      const bar = document.getElementById("upload-progress");
      if (bar) {
        const observer = new MutationObserver(() => window.recordUploadProgress(bar.value, bar.max));
        observer.observe(bar, { attributes: true, attributeFilter: ["value", "max"] });
      }
    });
  });

  const studio = await page.goto(`${baseUrl}/`);
  assert.equal(studio.status(), 200);
  await saveScreenshots(page, "studio");

  await page.setInputFiles("#photo", astronautPath);
  await page.locator("#photo-preview").waitFor({ state: "visible" });
  const previewSource = await page.locator("#photo-preview").getAttribute("src");
  assert.match(previewSource ?? "", /^blob:/, "the preview shows the local file, not an uploaded copy");
  assert.deepEqual(uploads, [], "the photo was uploaded before the visitor pressed submit");
  await saveScreenshots(page, "studio-photo-chosen");

  await page.selectOption("#style", "pen");
  await page.selectOption("#size", "720x720");
  await page.fill("#duration", "5");

  const uploadResponse = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/portraits" && response.request().method() === "POST",
  );
  const orderPageResponse = page.waitForResponse(
    (response) => /^\/orders\/[^/]+$/.test(new URL(response.url()).pathname) && response.request().isNavigationRequest(),
    { timeout: 30_000 },
  );
  const network = await context.newCDPSession(page);
  await network.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: UPLOAD_BYTES_PER_SECOND,
  });
  await confirmAndSubmit(page);

  const upload = await uploadResponse;
  await network.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  // NOTE: with playwright-core 1.64.1 and Chromium 156, reading this response's body fails with
  // "Request content was evicted from inspector cache", so the token comes from the order page's URL.
  assert.equal(upload.status(), 201);
  const sent = new URL(upload.url()).searchParams;
  assert.equal(sent.get("style"), "pen");
  assert.equal(sent.get("size"), "720x720");
  assert.equal(sent.get("duration"), "5");
  assert.equal(sent.get("plan"), "single");
  assert.equal(sent.get("age_confirmed"), "true");

  await page.locator("#stroke-preview svg").first().waitFor({ state: "visible" });

  t.diagnostic(`upload progress values: ${progressValues.map(({ value, max }) => `${value}/${max}`).join(" ")}`);
  assert.ok(progressValues.length > 0, "the upload progress bar never changed");
  const last = progressValues.at(-1);
  assert.ok(last.max > 0, `progress max is ${last.max}`);
  assert.equal(last.value, last.max, `progress ended at ${last.value} of ${last.max}`);
  const fractions = progressValues.map(({ value, max }) => value / max);
  for (let index = 1; index < fractions.length; index++) {
    assert.ok(fractions[index] >= fractions[index - 1], `progress went back: ${JSON.stringify(progressValues)}`);
  }
  const partial = fractions.filter((fraction) => fraction > 0 && fraction < 1);
  assert.ok(partial.length > 0, `the bar showed no value between empty and full: ${JSON.stringify(progressValues)}`);

  const orderPage = await orderPageResponse;
  assert.equal(orderPage.status(), 200);
  const orderHeaders = await orderPage.allHeaders();
  assert.equal(orderHeaders["referrer-policy"], "no-referrer");
  const orderPath = new URL(orderPage.url()).pathname;
  const order = { token: orderPath.slice("/orders/".length) };
  assert.match(order.token, /^[A-Za-z0-9_-]+$/);
  await page.waitForURL(`${baseUrl}${orderPath}`);

  assert.equal(await waitForFinalStatus(page), "Ready");
  assert.ok((await textOf(page, "#expires-at")) !== "", "#expires-at is empty");
  const countdown = await textOf(page, "#countdown");
  assert.ok(countdown !== "", "#countdown is empty");
  await page.waitForFunction(
    (first) => (document.getElementById("countdown")?.textContent ?? "").trim() !== first,
    countdown,
    { timeout: 5_000 },
  );
  assert.equal(await page.locator("#data-export").getAttribute("href"), `/api/orders/${order.token}/data`);
  assert.match((await page.locator("#download").getAttribute("href")) ?? "", /[?&]download=1$/);
  await page.locator("#player[src]").waitFor({ state: "attached" });
  assert.equal(await page.locator("#player").getAttribute("controls"), "");
  assert.equal(await page.locator("#player").getAttribute("playsinline"), "");
  await saveScreenshots(page, "order-ready");

  const played = await playToEnd(page);
  assert.ok(Math.abs(played.duration - 5) < 0.1, `video lasts ${played.duration} s`);
  assert.ok(Math.abs(played.currentTime - played.duration) < 0.1, `playback ended at ${played.currentTime} s`);
  assert.equal(played.width, 720);
  assert.equal(played.height, 720);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const video = readFileSync(await download.path());
  assert.ok(video.length > 10 * 1024, `download is only ${video.length} bytes`);
  assert.equal(video.subarray(4, 8).toString("latin1"), "ftyp", "download does not start with an MP4 ftyp box");
  assert.match(download.suggestedFilename(), /\.mp4$/);

  await page.click("#delete");
  await page.locator("#delete-dialog").waitFor({ state: "visible" });
  await saveScreenshots(page, "order-delete-dialog");
  await page.click("#cancel-delete");
  await page.locator("#delete-dialog").waitFor({ state: "hidden" });
  const afterCancel = await fetch(`${baseUrl}/api/orders/${order.token}`);
  assert.equal(afterCancel.status, 200, "cancelling the dialog deleted the order");

  const deletion = page.waitForResponse(
    (response) => response.request().method() === "DELETE" && new URL(response.url()).pathname === `/api/orders/${order.token}`,
  );
  await page.click("#delete");
  await page.click("#confirm-delete");
  assert.equal((await deletion).status(), 204);
  await page.locator("#deleted-message").waitFor({ state: "visible" });
  assert.equal(await page.locator("#player").isVisible(), false, "the player is still shown after deletion");
  assert.equal(await page.locator("#download").isVisible(), false, "the download link is still shown after deletion");
  await saveScreenshots(page, "order-deleted");

  const afterDelete = await fetch(`${baseUrl}/api/orders/${order.token}`);
  assert.equal(afterDelete.status, 404);
  assert.deepEqual(offHost, [], "the pages requested other hosts");
  assert.equal(stack.deadProcesses(), null);
});

test("photo over 10 MiB is rejected before upload", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  const uploads = recordRequests(page, "/api/portraits");
  await page.goto(`${baseUrl}/`);

  await page.setInputFiles("#photo", { name: "big.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(11 * MIB, 0xff) });
  await page.check("#age");
  if (await page.locator("#submit").isEnabled()) {
    await page.click("#submit");
  }

  const message = await waitForText(page, "#photo-error");
  assert.match(message, /10 MiB/);
  assert.equal(new URL(page.url()).pathname, "/");
  assert.deepEqual(uploads, [], "the oversize photo was sent to the server");
  await saveScreenshots(page, "studio-photo-too-large");
});

test("file that is not an image shows the format error", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  // A text file with an image name and type passes the page's checks, so the server judges it.
  await page.setInputFiles("#photo", {
    name: "notes.png",
    mimeType: "image/png",
    buffer: Buffer.from("Shopping list: milk, eggs, bread.\n"),
  });
  const uploadResponse = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/portraits");
  await confirmAndSubmit(page);
  assert.equal((await uploadResponse).status(), 415);

  const message = await waitForText(page, "#photo-error");
  assert.match(message, /format/i);
  assert.match(message, /JPEG, PNG, GIF or WebP/);
  assert.doesNotMatch(message, /[{}]/, "the error is shown as raw JSON");
  assert.equal(new URL(page.url()).pathname, "/");
  await saveScreenshots(page, "studio-wrong-format");
});

test("blank photo shows no lines found", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  await page.setInputFiles("#photo", { name: "grey.png", mimeType: "image/png", buffer: blankPng(64, 64) });
  const uploadResponse = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/portraits");
  await confirmAndSubmit(page);
  assert.equal((await uploadResponse).status(), 422);

  const message = await waitForText(page, "#photo-error");
  assert.match(message, /no lines/i);
  assert.equal(new URL(page.url()).pathname, "/");
});

test("duration over 30 s shows an error next to duration", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  await page.setInputFiles("#photo", astronautPath);
  await page.fill("#duration", "31");
  await confirmAndSubmit(page);

  const message = await waitForText(page, "#duration-error");
  assert.match(message, /30/);
  assert.equal(new URL(page.url()).pathname, "/");
});

test("upload without age confirmation is not sent", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  const uploads = recordRequests(page, "/api/portraits");
  await page.goto(`${baseUrl}/`);

  await page.setInputFiles("#photo", astronautPath);
  await page.click("#submit");

  const message = await waitForText(page, "#age-error");
  assert.match(message, /13/);
  assert.deepEqual(uploads, [], "the photo was sent without the age confirmation");
});

test("colour swatch follows the colour pickers", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  await page.fill("#background", "#112233");
  await page.fill("#sketch", "#ffcc00");

  // Collects every colour the swatch paints with, whether it uses CSS backgrounds or SVG paint.
  const colours = await page.evaluate(() => {
    const swatch = document.getElementById("swatch");
    const painted = new Set();
    for (const element of [swatch, ...swatch.querySelectorAll("*")]) {
      const style = getComputedStyle(element);
      for (const property of ["background-color", "fill", "stroke", "border-top-color", "color"]) {
        painted.add(style.getPropertyValue(property));
      }
    }
    return [...painted];
  });
  assert.ok(colours.includes("rgb(17, 34, 51)"), `swatch shows no #112233 background: ${colours.join(", ")}`);
  assert.ok(colours.includes("rgb(255, 204, 0)"), `swatch shows no #ffcc00 line: ${colours.join(", ")}`);
});

test("analytics opt-out stops every analytics request", async () => {
  const { context, offHost } = await openContext({ optOut: true });
  const page = await context.newPage();
  await page.goto(`${analyticsBaseUrl}/`);
  await page.waitForLoadState("networkidle");

  assert.equal(await page.locator("#analytics-opt-out").isChecked(), true, "the stored opt-out is not shown");
  assert.deepEqual(offHost.filter((url) => ANALYTICS_HOSTS.test(new URL(url).hostname)), []);
  assert.equal(await page.locator('script[src*="googletagmanager"]').count(), 0);
});

test("analytics opt-out is remembered after reload", async () => {
  const { context, offHost } = await openContext();
  const page = await context.newPage();
  await page.goto(`${analyticsBaseUrl}/`);
  await page.check("#analytics-opt-out");

  offHost.length = 0;
  await page.reload();
  await page.waitForLoadState("networkidle");

  assert.equal(await page.locator("#analytics-opt-out").isChecked(), true, "the opt-out was forgotten on reload");
  assert.deepEqual(offHost.filter((url) => ANALYTICS_HOSTS.test(new URL(url).hostname)), []);
  assert.equal(await page.locator('script[src*="googletagmanager"]').count(), 0);
});

test("analytics loads with a measurement id", async () => {
  const { context, offHost } = await openContext();
  const page = await context.newPage();
  // The request fails because the context's route aborts it, so it never leaves the machine.
  const tagRequest = page.waitForEvent("requestfailed", (request) => new URL(request.url()).hostname === "www.googletagmanager.com");
  await page.goto(`${analyticsBaseUrl}/`);

  const tagUrl = new URL((await tagRequest).url());
  assert.equal(tagUrl.pathname, "/gtag/js");
  assert.equal(tagUrl.searchParams.get("id"), GA_MEASUREMENT_ID);
  assert.ok(offHost.includes(tagUrl.href), "the analytics request was not aborted by the test's route");

  const configCalls = await page.evaluate(() =>
    (window.dataLayer ?? []).map((entry) => Array.from(entry)).filter((entry) => entry[0] === "config"),
  );
  assert.equal(configCalls.length, 1, `gtag config calls: ${JSON.stringify(configCalls)}`);
  assert.equal(configCalls[0][1], GA_MEASUREMENT_ID);
  assert.equal(configCalls[0][2]?.anonymize_ip, true);
});

test("no analytics without a measurement id", async () => {
  const { context, offHost } = await openContext();
  const page = await context.newPage();
  const configResponse = page.waitForResponse((response) => new URL(response.url()).pathname === "/config.json");
  await page.goto(`${baseUrl}/`);
  const config = await (await configResponse).json();
  assert.equal(config.ga_measurement_id, "");
  await page.waitForLoadState("networkidle");

  assert.equal(await page.locator('script[src*="googletagmanager"]').count(), 0);
  assert.deepEqual(offHost, [], "the page requested other hosts");
});

test("studio page sends security headers", async () => {
  const response = await fetch(`${baseUrl}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(response.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
  assert.equal(response.headers.get("cache-control"), "no-cache");
  assert.deepEqual(parseCsp(response.headers.get("content-security-policy")), BASE_CSP);

  const etag = response.headers.get("etag");
  assert.match(etag ?? "", /^"[^"]+"$/, `ETag is not a strong validator: ${etag}`);
  const revalidated = await fetch(`${baseUrl}/`, { headers: { "If-None-Match": etag } });
  assert.equal(revalidated.status, 304);
});

test("analytics site allows only Google Analytics hosts", async () => {
  const response = await fetch(`${analyticsBaseUrl}/`);
  const csp = parseCsp(response.headers.get("content-security-policy"));
  assert.deepEqual(csp["script-src"], ["'self'", "https://www.googletagmanager.com"]);
  for (const directive of ["connect-src", "img-src"]) {
    for (const host of ["https://www.google-analytics.com", "https://*.google-analytics.com", "https://www.googletagmanager.com"]) {
      assert.ok(csp[directive]?.includes(host), `${directive} lacks ${host}: ${csp[directive]}`);
    }
  }
  assert.deepEqual(csp["default-src"], ["'self'"]);

  const config = await (await fetch(`${analyticsBaseUrl}/config.json`)).json();
  assert.equal(config.ga_measurement_id, GA_MEASUREMENT_ID);
});

test("static assets get types and caching", async () => {
  for (const [path, type] of [
    ["/static/js/analytics.js", /^(text|application)\/javascript/],
    ["/static/css/site.css", /^text\/css/],
  ]) {
    const response = await fetch(`${baseUrl}${path}`);
    assert.equal(response.status, 200, `${path} status`);
    assert.match(response.headers.get("content-type") ?? "", type, `${path} content type`);
    assert.equal(response.headers.get("cache-control"), "public, max-age=3600", `${path} cache-control`);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", `${path} nosniff`);
  }
});

test("unknown paths get the 404 page", async () => {
  for (const path of ["/static/../spin.toml", "/nope"]) {
    const response = await getRawPath(baseUrl, path);
    assert.equal(response.status, 404, `${path} status`);
    assert.match(response.headers["content-type"] ?? "", /^text\/html/, `${path} content type`);
    assert.doesNotMatch(response.body, /spin_manifest_version|storage_key/, `${path} leaked spin.toml`);
  }

  const { context } = await openContext();
  const page = await context.newPage();
  const response = await page.goto(`${baseUrl}/nope`);
  assert.equal(response.status(), 404);
  assert.equal(await page.locator('footer a[href="/privacy"]').count(), 1, "the 404 page has no privacy link");
  await saveScreenshots(page, "not-found");

  const unknownOrder = await page.goto(`${baseUrl}/orders/no-such-order`);
  assert.equal(unknownOrder.status(), 404);
});

test("privacy page shows the opt-out", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  const response = await page.goto(`${baseUrl}/privacy`);
  assert.equal(response.status(), 200);
  await page.locator("#analytics-opt-out").waitFor({ state: "visible" });
  await saveScreenshots(page, "privacy");
});

test("keyboard reaches photo and submit with visible focus", async () => {
  const { context } = await openContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);

  // Tabs through the page and, for each stop, records the focused element and whether it or the
  // photo drop zone around it draws a focus indicator.
  const stops = [];
  for (let press = 0; press < 40 && !stops.some((stop) => stop.id === "submit"); press++) {
    await page.keyboard.press("Tab");
    stops.push(
      await page.evaluate(() => {
        const focused = document.activeElement;
        const shows = (element) => {
          const style = getComputedStyle(element);
          const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
          return outline || style.boxShadow !== "none";
        };
        const dropZone = focused.closest("#drop-zone");
        return { id: focused.id, visible: shows(focused) || (dropZone !== null && shows(dropZone)) };
      }),
    );
  }

  const photo = stops.find((stop) => stop.id === "photo" || stop.id === "drop-zone");
  assert.ok(photo, `Tab never reached the photo field; stops: ${stops.map((stop) => stop.id).join(" ")}`);
  assert.ok(photo.visible, "the photo field shows no focus indicator");
  const submit = stops.find((stop) => stop.id === "submit");
  assert.ok(submit, `Tab never reached the submit button; stops: ${stops.map((stop) => stop.id).join(" ")}`);
  assert.ok(submit.visible, "the submit button shows no focus indicator");
});
