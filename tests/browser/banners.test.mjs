// Drives the banners studio in headless Chromium against the local stack (Redis and the devhost with
// the built components), as a visitor would: typing, a bad field, and both downloads. Screenshots at
// desktop and phone sizes go to test-artifacts/screenshots/.
//
// Every request to a host other than 127.0.0.1 is aborted and recorded, and the tests assert there
// were none.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { Stack, artifactsDir } from "./stack.mjs";

const chromiumPath = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const screenshotsDir = join(artifactsDir, "screenshots");
const downloadsDir = join(artifactsDir, "downloads");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const ACTION_TIMEOUT_MS = 10_000;

let stack;
let browser;
const openContexts = [];

before(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  mkdirSync(downloadsDir, { recursive: true });
  stack = await Stack.start({ workers: 0 });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
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

/** Opens the banners page in a new context that lets only loopback requests through. */
async function openStudio() {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  openContexts.push(context);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const offHost = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" || url.protocol === "blob:" || url.protocol === "data:") {
      return route.continue();
    }
    offHost.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const response = await page.goto(`${stack.baseUrl}/banners`);
  assert.equal(response.status(), 200);
  return { page, offHost, pageErrors };
}

/** Returns the preview image's natural size and source. */
async function previewState(page) {
  return page.locator("#preview").evaluate((image) => ({
    width: image.naturalWidth,
    height: image.naturalHeight,
    src: image.src,
    complete: image.complete,
  }));
}

/** Waits until the preview shows an image whose source differs from `previousSrc`, and returns it. */
async function waitForNewPreview(page, previousSrc) {
  await page.waitForFunction(
    (previous) => {
      const image = document.getElementById("preview");
      return !image.hidden && image.src && image.src !== previous && image.complete && image.naturalWidth > 0;
    },
    previousSrc,
  );
  return previewState(page);
}

/** Reads width and height from a PNG file's IHDR chunk. */
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test("typing updates the preview", async () => {
  const { page, offHost, pageErrors } = await openStudio();
  const previews = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/banners/preview") {
      previews.push(request.url());
    }
  });

  await page.fill("#email", "ada@example.com");
  await page.locator("#name").pressSequentially("Ada", { delay: 30 });
  const first = await waitForNewPreview(page, "");
  assert.deepEqual([first.width, first.height], [600, 74], "the 728×90 preview is scaled to 600 px");

  // Typing more sends one debounced request for the burst, and the newest text wins.
  const requestsBefore = previews.length;
  await page.locator("#name").pressSequentially(" Lovelace", { delay: 20 });
  const second = await waitForNewPreview(page, first.src);
  const burstRequests = previews.length - requestsBefore;
  assert.ok(burstRequests >= 1, "typing sends a preview request");
  assert.ok(burstRequests <= 3, `${burstRequests} preview requests for 9 keystrokes`);
  assert.match(await page.locator("#preview").getAttribute("alt"), /Ada Lovelace/);
  assert.equal(await page.locator("#preview-status").textContent(), "Preview up to date.");

  // Changing the size preset changes the preview's shape.
  await page.selectOption("#size", "medium-rectangle");
  const square = await waitForNewPreview(page, second.src);
  assert.deepEqual([square.width, square.height], [300, 250]);

  // A custom size shows its fields and is used.
  await page.selectOption("#size", "custom");
  assert.ok(await page.locator("#width").isVisible());
  await page.fill("#width", "900");
  await page.fill("#height", "300");
  const custom = await waitForNewPreview(page, square.src);
  assert.deepEqual([custom.width, custom.height], [600, 200]);

  assert.deepEqual(offHost, []);
  assert.deepEqual(pageErrors, []);
});

test("error shows next to its field", async () => {
  const { page, offHost } = await openStudio();
  await page.fill("#name", "Ada Lovelace");
  await page.fill("#email", "ada-at-example.com");
  await page.waitForFunction(() => document.getElementById("email-error").textContent.trim() !== "");
  assert.match(await page.locator("#email-error").textContent(), /^email is not a valid email address/);
  assert.equal(await page.locator("#email").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#name-error").textContent(), "");

  // Fixing it clears the error and draws the preview.
  await page.fill("#email", "ada@example.com");
  await waitForNewPreview(page, "");
  assert.equal(await page.locator("#email-error").textContent(), "");
  assert.equal(await page.locator("#email").getAttribute("aria-invalid"), null);

  // A letter the font lacks is named under the name field.
  await page.fill("#name", "Ada 中");
  await page.waitForFunction(() => document.getElementById("name-error").textContent.includes("U+4E2D"));
  assert.match(await page.locator("#name-error").textContent(), /cannot draw/);

  // A custom width beyond the limit is reported under the width field with the limit.
  await page.fill("#name", "Ada Lovelace");
  await page.selectOption("#size", "custom");
  await page.fill("#width", "5000");
  await page.waitForFunction(() => document.getElementById("width-error").textContent.trim() !== "");
  assert.equal(await page.locator("#width-error").textContent(), "width is 5000; it must be from 120 to 2400 pixels");
  await page.selectOption("#size", "leaderboard");

  // A token of no current order is explained under the token field.
  await page.fill("#name", "Ada Lovelace");
  await page.fill("#order_token", `${stack.baseUrl}/orders/AAAAAAAAAAAAAAAAAAAAAA`);
  await page.waitForFunction(() => document.getElementById("order_token-error").textContent.trim() !== "");
  assert.match(await page.locator("#order_token-error").textContent(), /order_token/);
  assert.deepEqual(offHost, []);
});

test("downloads have the chosen size and format", async () => {
  const { page, offHost } = await openStudio();
  await page.fill("#name", "Ada Lovelace");
  await page.fill("#email", "ada@example.com");
  await page.fill("#tagline", "Poetical science");
  await page.selectOption("#size", "email-signature");
  await page.selectOption("#layout", "split");
  await waitForNewPreview(page, "");

  const [pngDownload] = await Promise.all([page.waitForEvent("download"), page.click("#export-png")]);
  assert.equal(pngDownload.suggestedFilename(), "banner-600x200.png");
  const pngPath = join(downloadsDir, pngDownload.suggestedFilename());
  await pngDownload.saveAs(pngPath);
  assert.deepEqual(pngSize(readFileSync(pngPath)), { width: 600, height: 200 });

  await page.selectOption("#size", "linkedin-banner");
  const [svgDownload] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
  assert.equal(svgDownload.suggestedFilename(), "banner-1584x396.svg");
  const svgPath = join(downloadsDir, svgDownload.suggestedFilename());
  await svgDownload.saveAs(svgPath);
  const svg = readFileSync(svgPath, "utf8");
  const root = svg.match(/^<svg [^>]*>/)[0];
  assert.match(root, / width="1584"/);
  assert.match(root, / height="396"/);
  assert.match(root, / viewBox="0 0 1584 396"/);
  // The browser parses the file as SVG without an error.
  const parsed = await page.evaluate((text) => {
    const document = new DOMParser().parseFromString(text, "image/svg+xml");
    return { root: document.documentElement.nodeName, errors: document.getElementsByTagName("parsererror").length };
  }, svg);
  assert.deepEqual(parsed, { root: "svg", errors: 0 });
  await page.waitForFunction(() => document.getElementById("export-status").textContent.startsWith("Downloaded"));
  assert.deepEqual(offHost, []);
});

test("page fits desktop and phone", async () => {
  const { page } = await openStudio();
  await page.fill("#name", "Ada Lovelace");
  await page.fill("#email", "ada@example.com");
  await page.fill("#tagline", "Poetical science");
  await page.selectOption("#size", "social-share");
  await waitForNewPreview(page, "");

  await page.screenshot({ path: join(screenshotsDir, "banners-desktop.png"), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(screenshotsDir, "banners-phone.png"), fullPage: true });
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(pageWidth <= PHONE.width, `the page is ${pageWidth} px wide on a ${PHONE.width} px phone`);

  // Every page's header links to the studio.
  for (const path of ["/", "/privacy", "/banners", "/no-such-page"]) {
    await page.goto(`${stack.baseUrl}${path}`);
    assert.equal(await page.locator('header nav a[href="/banners"]').count(), 1, `${path} links to /banners`);
  }
});
