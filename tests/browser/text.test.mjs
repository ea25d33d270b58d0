// Drives the Text Studio in headless Chromium against the whole local stack (Redis, the devhost with
// the built components, one render worker), as a visitor would. The tests cover typing with the live
// preview, a character the font cannot draw, and an order through to the video on the order page.
//
// Requests to any host but 127.0.0.1 are aborted, so no test reaches the network. Screenshots at
// desktop and phone sizes go to test-artifacts/screenshots/.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { playToEnd, waitForFinalStatus } from "./order-page.mjs";
import { Stack, artifactsDir } from "./stack.mjs";

const chromiumPath = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const screenshotsDir = join(artifactsDir, "screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const ACTION_TIMEOUT_MS = 10_000;

let stack;
let browser;
const openContexts = [];

before(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  stack = await Stack.start({ workers: 1 });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
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

/** Opens the Text Studio in a context whose requests to hosts other than 127.0.0.1 are aborted. */
async function openTextStudio() {
  const context = await browser.newContext({ viewport: DESKTOP });
  openContexts.push(context);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  await context.route("**/*", (route) =>
    new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort("blockedbyclient"),
  );
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") {
      errors.push(message.text());
    }
  });
  const response = await page.goto(`${stack.baseUrl}/text`);
  assert.equal(response.status(), 200);
  return { page, errors };
}

/** Saves screenshots at desktop and phone sizes and checks the phone layout needs no sideways scroll. */
async function saveScreenshots(page, name) {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(screenshotsDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(screenshotsDir, `${name}-phone.png`), fullPage: true });
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize(DESKTOP);
  assert.ok(pageWidth <= PHONE.width, `${name} is ${pageWidth} px wide on a ${PHONE.width} px phone screen`);
}

test("typing shows the stroke preview", async () => {
  const { page, errors } = await openTextStudio();
  const previewRequest = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/text-animations/preview",
  );
  await page.locator("#text").fill("Grüße!\nÇa va?");
  const preview = await previewRequest;
  assert.equal(preview.status(), 200);

  const svg = page.locator("#text-preview svg");
  await svg.waitFor({ state: "visible" });
  const paths = await page.locator("#text-preview svg path").count();
  assert.ok(paths > 10, `only ${paths} strokes in the preview`);
  assert.equal(await svg.getAttribute("role"), "img");
  assert.match((await page.locator("#text-preview-status").textContent()) ?? "", /pen strokes on 2 lines/);
  assert.equal((await page.locator("#text-count").textContent())?.trim(), "13 of 200 characters");
  assert.equal((await page.locator("#text-error").textContent())?.trim(), "");

  // Changing the size redraws the preview at the new proportions.
  const resized = page.waitForResponse((response) => response.url().includes("size=1080x1920"));
  await page.selectOption("#size", "1080x1920");
  assert.equal((await resized).status(), 200);
  await page.waitForFunction(
    () => document.querySelector("#text-preview svg")?.getAttribute("viewBox") === "0 0 1080 1920",
  );
  await saveScreenshots(page, "text-preview");
  assert.deepEqual(errors, []);
});

test("unsupported characters are named next to the field", async () => {
  const { page } = await openTextStudio();
  await page.locator("#text").fill("Snow ☃ and sun ☀ and ☃");
  const items = page.locator("#text-error .unsupported-list li");
  await items.first().waitFor({ state: "visible" });
  assert.deepEqual(await items.allTextContents(), ["☃ U+2603", "☀ U+2600"]);
  assert.equal(await page.locator("#text").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#text-preview svg").count(), 0, "no preview for a text with errors");
  await saveScreenshots(page, "text-unsupported");

  // Removing them clears the error and brings the preview back.
  await page.locator("#text").fill("Snow and sun");
  await page.locator("#text-preview svg").waitFor({ state: "visible" });
  assert.equal((await page.locator("#text-error").textContent())?.trim(), "");
  assert.equal(await page.locator("#text").getAttribute("aria-invalid"), null);
});

test("text order reaches the order page and the video plays", { timeout: 200_000 }, async () => {
  const { page, errors } = await openTextStudio();
  await page.locator("#text").fill("Hello,\nZoë!");
  await page.locator("#text-preview svg").waitFor({ state: "visible" });
  await page.selectOption("#style", "pen");
  await page.selectOption("#size", "720x720");
  await page.locator("#duration").fill("5");

  // Without the age confirmation nothing is sent.
  await page.click("#submit");
  assert.match((await page.locator("#age-error").textContent()) ?? "", /13 years old/);

  await page.check("#age");
  const orderResponse = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/text-animations" && response.request().method() === "POST",
  );
  await page.click("#submit");
  const created = await orderResponse;
  assert.equal(created.status(), 201);
  const { order_url: orderUrl } = await created.json();
  assert.match(orderUrl, /^\/orders\/[A-Za-z0-9_-]+$/);
  await page.waitForURL(`${stack.baseUrl}${orderUrl}`);

  assert.equal(await waitForFinalStatus(page), "Ready");
  await page.locator("#player[src]").waitFor({ state: "attached" });

  const played = await playToEnd(page);
  assert.ok(Math.abs(played.duration - 5) < 0.1, `video lasts ${played.duration} s`);
  assert.ok(Math.abs(played.currentTime - played.duration) < 0.1, `playback ended at ${played.currentTime} s`);
  assert.equal(played.width, 720);
  assert.equal(played.height, 720);
  await saveScreenshots(page, "text-order-ready");
  assert.deepEqual(errors, []);
});
