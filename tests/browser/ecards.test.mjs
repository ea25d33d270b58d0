// Drives the e-card page and the e-card stats page in headless Chromium against the local stack
// (Redis, the devhost with the built components) as a sender would. The mail API is a loopback
// stand-in that records each request, so the tests check exactly what would reach the provider.
//
// Every browser context aborts requests to any host but 127.0.0.1. Screenshots at desktop and
// phone sizes go to test-artifacts/screenshots/.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { Stack, MAIL_API_TOKEN, artifactsDir, mailVariables, startMailStandIn } from "./stack.mjs";

const chromiumPath = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const screenshotsDir = join(artifactsDir, "screenshots");

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const ACTION_TIMEOUT_MS = 10_000;
const GMAIL_PROXY_AGENT =
  "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const DESKTOP_AGENT = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";
// A time zone without daylight saving and with a half-hour offset, so the test shows that the
// page sends the visitor's own offset rather than UTC or a whole-hour guess.
const TIME_ZONE = "Asia/Kolkata";
const TIME_ZONE_OFFSET = "+05:30";

let stack;
let mail;
let browser;
const openContexts = [];

before(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  mail = await startMailStandIn();
  stack = await Stack.start({ workers: 0, variables: mailVariables(mail.baseUrl) });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
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
  await mail?.close();
});

/** Opens a page in a context that lets requests to 127.0.0.1 through and aborts any other. */
async function openPage() {
  const context = await browser.newContext({ viewport: DESKTOP, timezoneId: TIME_ZONE });
  openContexts.push(context);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    return url.hostname === "127.0.0.1" ? route.continue() : route.abort("blockedbyclient");
  });
  return context.newPage();
}

/** Saves full-page screenshots at both sizes and checks the phone layout needs no sideways scroll. */
async function saveScreenshots(page, name) {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(screenshotsDir, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(screenshotsDir, `${name}-phone.png`), fullPage: true });
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize(DESKTOP);
  assert.ok(pageWidth <= PHONE.width, `${name} is ${pageWidth} px wide on a ${PHONE.width} px phone screen`);
}

async function textOf(page, selector) {
  return ((await page.locator(selector).textContent()) ?? "").trim();
}

/** Fills the sender, message and the given recipients, adding rows as needed. */
async function fillCard(page, { recipients, message = "Happy birthday! <b>cake</b> & tea" }) {
  await page.fill("#sender-name", "Ada Lovelace");
  await page.fill("#sender-email", "ada@example.com");
  await page.fill("#message", message);
  for (const [index, recipient] of recipients.entries()) {
    if (index > 0) {
      await page.click("#add-recipient");
    }
    await page.fill(`#recipient-${index}-name`, recipient.name);
    await page.fill(`#recipient-${index}-email`, recipient.email);
  }
}

/** Sends GET `path` to the devhost with the given User-Agent, as a mail client would fetch the pixel. */
function fetchPixel(path, userAgent) {
  const { hostname, port } = new URL(stack.baseUrl);
  return new Promise((done, fail) => {
    const request = httpRequest({ host: hostname, port, path, headers: { "user-agent": userAgent } }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => done({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on("error", fail);
    request.end();
  });
}

/** Returns the `/t/{token}.gif` path in a provider request's HTML body. */
function pixelPath(recorded) {
  const html = JSON.parse(recorded.body).html;
  const match = /\/t\/[A-Za-z0-9_-]+\.gif/.exec(html);
  assert.ok(match, `no pixel link in ${html}`);
  return match[0];
}

test("card to two recipients is sent, tracked and deleted", async () => {
  const page = await openPage();
  const before = mail.received.length;
  await page.goto(`${stack.baseUrl}/cards`);
  assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), "E-cards");
  await page.check('input[name="design"][value="thanks"]');
  await fillCard(page, {
    recipients: [
      { name: "Bob", email: "bob@example.com" },
      { name: "Carol", email: "carol@example.org" },
    ],
  });
  assert.equal(await textOf(page, "#message-count"), "33 of 2,000 characters");
  assert.equal(await textOf(page, "#recipient-count"), "2 of 20 recipients");
  await saveScreenshots(page, "ecard-form");

  await page.click("#submit");
  await page.waitForURL(/\/cards\/stats#id=[0-9a-f]{32}&token=/);
  const fragment = new URLSearchParams(new URL(page.url()).hash.slice(1));
  const id = fragment.get("id");
  const token = fragment.get("token");

  // One provider request per recipient, each with the card and its own idempotency key.
  const sent = mail.received.slice(before);
  assert.equal(sent.length, 2, JSON.stringify(sent));
  const addressees = [];
  const keys = [];
  for (const request of sent) {
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/emails");
    assert.equal(request.headers.authorization, `Bearer ${MAIL_API_TOKEN}`);
    assert.equal(request.headers["content-type"], "application/json");
    const body = JSON.parse(request.body);
    assert.equal(body.subject, "Ada Lovelace sent you a thank-you card");
    assert.equal(body.reply_to, "Ada Lovelace <ada@example.com>");
    assert.match(body.from, /cards@example\.com/);
    assert.match(body.html, /&lt;b&gt;cake&lt;\/b&gt; &amp; tea/);
    assert.doesNotMatch(body.html, /<b>cake<\/b>/);
    assert.match(body.text, /Happy birthday! <b>cake<\/b> & tea/);
    addressees.push(...body.to);
    keys.push(request.headers["idempotency-key"]);
  }
  assert.deepEqual(addressees.sort(), ["Bob <bob@example.com>", "Carol <carol@example.org>"]);
  assert.deepEqual(keys.sort(), [`${id}-r0`, `${id}-r1`]);

  // The stats page shows both recipients delivered and no opens yet.
  const articles = page.locator(".recipient-stats");
  await articles.first().waitFor();
  assert.equal(await articles.count(), 2);
  for (const [index, heading] of ["Bob <bob@example.com>", "Carol <carol@example.org>"].entries()) {
    const article = articles.nth(index);
    assert.equal(await article.locator("h3").textContent(), heading);
    assert.equal(await article.locator('[data-slot="delivery"]').textContent(), "Delivered to the mail provider");
    assert.equal(await article.locator('[data-slot="hits"]').textContent(), "0");
  }
  assert.equal(await textOf(page, "#design-name"), "Thank you");

  // Bob's mail is opened through Gmail's proxy, then in a desktop browser.
  const bobMail = sent.find((request) => request.headers["idempotency-key"] === `${id}-r0`);
  const pixel = pixelPath(bobMail);
  for (const agent of [GMAIL_PROXY_AGENT, DESKTOP_AGENT]) {
    const reply = await fetchPixel(pixel, agent);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "image/gif");
    assert.equal(reply.body.length, 43);
  }
  await page.click("#refresh");
  const bob = articles.first();
  await bob.locator(".timeline tbody tr").nth(1).waitFor();
  const rows = await bob.locator(".timeline tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].slice(1).map((td) => td.textContent)),
  );
  assert.deepEqual(rows, [
    ["Gmail image proxy", "Unknown device", "Gmail"],
    ["Person", "Desktop", "Firefox"],
  ]);
  assert.equal(await bob.locator('[data-slot="human"]').textContent(), "1");
  assert.equal(await bob.locator('[data-slot="proxy"]').textContent(), "1");
  assert.equal(await bob.locator('[data-slot="hits"]').textContent(), "2");
  assert.equal(await bob.locator('[data-slot="device"]').textContent(), "Desktop, Firefox");
  assert.equal(await articles.nth(1).locator(".timeline tbody tr").count(), 0);
  assert.equal(await articles.nth(1).locator('[data-slot="timeline-note"]').textContent(), "No image loads recorded yet.");
  await saveScreenshots(page, "ecard-stats");

  // "Keep it" closes the dialog and deletes nothing; "Delete now" deletes.
  await page.click("#delete");
  assert.equal(await page.locator("#delete-dialog").evaluate((dialog) => dialog.open), true);
  await page.click("#cancel-delete");
  assert.equal(await page.locator("#delete-dialog").evaluate((dialog) => dialog.open), false);
  const statsPath = `/api/ecards/${id}/stats?token=${encodeURIComponent(token)}`;
  assert.equal((await fetch(`${stack.baseUrl}${statsPath}`)).status, 200);
  await page.click("#delete");
  await page.click("#confirm-delete");
  await page.locator("#deleted-message").waitFor({ state: "visible" });
  assert.equal(await page.locator("#stats").isHidden(), true);
  assert.equal((await fetch(`${stack.baseUrl}${statsPath}`)).status, 404);

  // The same link now shows that the card is gone.
  await page.reload();
  await page.locator("#load-error").waitFor({ state: "visible" });
  assert.match(await textOf(page, "#load-error-text"), /does not exist/);
});

test("bad input is shown next to its field", async () => {
  const page = await openPage();
  const before = mail.received.length;
  const posts = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/ecards") {
      posts.push(request.postData());
    }
  });
  await page.goto(`${stack.baseUrl}/cards`);
  await fillCard(page, { recipients: [{ name: "Bob", email: "bob-at-example.com" }], message: "x".repeat(2001) });
  await page.fill("#sender-email", "ada@example");
  assert.equal(await textOf(page, "#message-count"), "2,001 of 2,000 characters (1 too many)");
  await page.click("#submit");

  assert.equal(
    await textOf(page, "#sender-email-error"),
    "Your email address is not a valid email address: the domain needs a dot, such as example.com.",
  );
  assert.equal(
    await textOf(page, "#recipient-0-email-error"),
    "Recipient 1's email address is not a valid email address: it has no @.",
  );
  assert.equal(await textOf(page, "#message-error"), "The message is 2,001 characters long; the limit is 2,000.");
  assert.equal(await page.getAttribute("#message", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#recipient-0-email", "aria-invalid"), "true");
  assert.equal(await textOf(page, "#form-error"), "Correct the 3 fields marked above.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "sender-email");
  assert.equal(posts.length, 0, "nothing is sent while a field is invalid");
  await saveScreenshots(page, "ecard-form-errors");

  // The 21st recipient cannot be added.
  for (let count = 1; count < 20; count++) {
    await page.click("#add-recipient");
  }
  assert.equal(await page.locator(".recipient").count(), 20);
  assert.equal(await textOf(page, "#recipient-count"), "20 of 20 recipients (the maximum)");
  await page.click("#add-recipient");
  assert.equal(await page.locator(".recipient").count(), 20);
  assert.equal(await textOf(page, "#recipients-error"), "An e-card can go to at most 20 recipients.");

  // Removing rows renumbers the rest; one row stays without a remove button.
  await page.click('button[aria-label="Remove recipient 3"]');
  assert.equal(await page.locator(".recipient").count(), 19);
  assert.equal(await textOf(page, "#recipients-error"), "");
  while ((await page.locator(".recipient").count()) > 1) {
    await page.click('button[aria-label="Remove recipient 1"]');
  }
  assert.equal(await page.locator(".remove-recipient").isHidden(), true);

  // With valid fields, a 21st recipient slipped into the request is rejected by the server, and
  // its message appears next to the recipient list.
  await page.fill("#sender-email", "ada@example.com");
  await page.fill("#message", "See you soon.");
  await page.fill("#recipient-0-name", "Bob");
  await page.fill("#recipient-0-email", "bob@example.com");
  await page.route("**/api/ecards", async (route) => {
    const body = JSON.parse(route.request().postData());
    body.recipients = Array.from({ length: 21 }, (_, index) => ({ name: `R${index}`, email: `r${index}@example.com` }));
    await route.continue({ postData: JSON.stringify(body) });
  });
  await page.click("#submit");
  await page.waitForFunction(() => document.getElementById("recipients-error").textContent.trim() !== "");
  assert.equal(await textOf(page, "#recipients-error"), "The recipient list has more than 20 recipients.");
  assert.equal(await textOf(page, "#form-error"), "The server did not accept the card; correct the fields marked above.");
  assert.equal(posts.length, 1);
  assert.equal(mail.received.length, before, "no mail was sent");
});

test("send later sends the local time with its offset", async () => {
  const page = await openPage();
  const before = mail.received.length;
  const posts = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/ecards") {
      posts.push(JSON.parse(request.postData()));
    }
  });
  await page.goto(`${stack.baseUrl}/cards`);
  await fillCard(page, { recipients: [{ name: "Bob", email: "bob@example.com" }] });
  await page.check("#send-later");
  // Chromium may name the zone by its older alias, Asia/Calcutta, so only the offset is compared.
  assert.ok((await textOf(page, "#send-at-help")).includes(`(UTC${TIME_ZONE_OFFSET})`));

  // A time in the past is caught on the page.
  await page.fill("#send-date", "2020-01-01");
  await page.fill("#send-time", "10:00");
  await page.click("#submit");
  assert.match(await textOf(page, "#send-at-error"), /^The send time is in the past/);
  assert.equal(posts.length, 0);

  // Tomorrow at 09:30 in the visitor's zone.
  const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000).toLocaleDateString("en-CA", { timeZone: TIME_ZONE });
  await page.fill("#send-date", tomorrow);
  await page.fill("#send-time", "09:30");
  const replyPromise = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/ecards");
  await page.click("#submit");
  const reply = await replyPromise;
  assert.equal(posts.length, 1);
  assert.equal(posts[0].send_at, `${tomorrow}T09:30:00${TIME_ZONE_OFFSET}`);

  assert.equal(reply.status(), 201);
  await page.waitForURL(/\/cards\/stats#/);
  await page.locator("#schedule-line").waitFor({ state: "visible" });
  assert.match(await textOf(page, "#schedule-line"), /^Scheduled for /);
  assert.match(await page.locator('[data-slot="delivery"]').first().textContent(), /^Scheduled for /);
  // The card waits on the server: nothing went out.
  assert.equal(mail.received.length, before);
});

test("stats link without its fragment explains itself", async () => {
  const page = await openPage();
  await page.goto(`${stack.baseUrl}/cards/stats`);
  await page.locator("#load-error").waitFor({ state: "visible" });
  assert.match(await textOf(page, "#load-error-text"), /link is incomplete/);
  await page.goto("about:blank");
  await page.goto(`${stack.baseUrl}/cards/stats#id=${"0".repeat(32)}&token=AAAAAAAAAAAAAAAAAAAAAA`);
  await page.locator("#load-error").waitFor({ state: "visible" });
  assert.match(await textOf(page, "#load-error-text"), /does not exist/);
});
