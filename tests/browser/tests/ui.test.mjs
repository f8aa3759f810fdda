// Issue 5's acceptance in a real browser: a responder watches an incident appear, acknowledges
// it and posts a public update; a viewer can change nothing; the status page shows the update in
// Arabic, right to left, and in English. Run by ../run.sh, which starts tocsin and its fixtures
// and passes their URLs in the environment. The tests run in order and build on each other.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { chromium } from "playwright-core";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/browser/run.sh`);
  return value;
}

const TOCSIN = env("TOCSIN_URL");
const TARGET = env("TARGET_URL");
const SINK = env("SINK_URL");
const ADMIN_TOKEN = env("ADMIN_TOKEN");
const RESPONDER = env("RESPONDER_EMAIL");
const VIEWER = env("VIEWER_EMAIL");
const PASSWORD = env("PASSWORD");
const ARTIFACTS = env("ARTIFACTS");

/// How long tocsin may take to notice the outage and the list to show it: a 1 s monitor plus a
/// 5 s refresh, with room for a slow CI machine.
const APPEARS_WITHIN = 45_000;
const UPDATE_TEXT = "نعمل على التراجع عن آخر نشر. Rolling back the last deploy.";

let browser;
/** What the tests hand on to the next: the incident the monitor opened. */
const shared = { incident: null };

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** Collects a page's console errors and uncaught exceptions: any of them fails the test. */
function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const url = message.location().url || page.url();
    problems.push(`console error: ${message.text()} (${url})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  return problems;
}

async function newContext(options = {}) {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
}

/** Signs in through the real /login form; returns the page, on the incident list. */
async function signIn(context, email) {
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${TOCSIN}/login`);
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(PASSWORD);
  await page.locator("#sign-in").click();
  await page.waitForURL(`${TOCSIN}/incidents`);
  assert.equal((await page.locator("#whoami bdi").textContent()).trim(), email);
  return { page, problems };
}

async function api(pathname) {
  const response = await fetch(`${TOCSIN}${pathname}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(response.status, 200, `GET ${pathname}`);
  return response.json();
}

/** The timeline without delivery records, which the outbox adds on its own schedule. */
async function decisions(id) {
  const { events } = await api(`/api/v1/incidents/${id}/timeline`);
  return events
    .filter((event) => !["notified", "notify_failed"].includes(event.kind))
    .map(({ at, kind, actor, text }) => ({ at, kind, actor, text }));
}

async function text(locator) {
  return (await locator.textContent()).replace(/\s+/g, " ").trim();
}

async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
}

test("a responder sees the monitor's incident appear without a reload, acknowledges it and posts a public update", async () => {
  const context = await newContext();
  try {
    const { page, problems } = await signIn(context, RESPONDER);
    assert.equal(await text(page.locator("#role")), "responder");
    const rows = page.locator("#incident-rows tr.incident");
    assert.equal(await rows.count(), 0, "no incident before the outage");

    // A reload or a navigation would lose this mark and count in `navigations`.
    await page.evaluate(() => {
      window.tocsinNotReloaded = true;
    });
    let navigations = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });

    const broke = await fetch(`${TARGET}/control/status/503`, { method: "POST" });
    assert.equal(broke.status, 204);

    const row = rows.first();
    await row.waitFor({ state: "visible", timeout: APPEARS_WITHIN });
    assert.equal(navigations, 0, "the list changed without navigating");
    assert.equal(await page.evaluate(() => window.tocsinNotReloaded), true, "the list was not reloaded");
    assert.equal(await text(row.locator(".sev")), "SEV-1");
    assert.equal(await text(row.locator(".state")), "triggered");
    const id = await row.getAttribute("data-id");
    assert.ok(id, "the row names its incident");
    shared.incident = id;

    await row.locator("a.incident-link").click();
    await page.waitForURL(`${TOCSIN}/incidents/${id}`);
    assert.equal(await text(page.locator("#incident-state")), "triggered");

    await page.locator("#acknowledge").click();
    await page.waitForURL(`${TOCSIN}/incidents/${id}?done=acknowledged`);
    assert.equal(await text(page.locator("#incident-state")), "acknowledged");
    assert.match(await text(page.locator("#notice")), /^Acknowledged\./);
    assert.match(await text(page.locator("#live-head .status-line")), new RegExp(`acknowledged by ${RESPONDER}`));
    assert.equal(await page.locator("#acknowledge").count(), 0, "no second acknowledge button");

    await page.locator("#update-text").fill(UPDATE_TEXT);
    await page.locator("#update-public").check();
    await page.locator("#post-update").click();
    await page.waitForURL(`${TOCSIN}/incidents/${id}?done=update_public`);
    assert.equal(await text(page.locator("#notice")), "Update posted and shown on the status page.");
    const update = page.locator('#timeline li.event[data-kind="update"][data-public="true"]');
    await update.waitFor({ state: "visible" });
    assert.equal(await text(update.locator(".text")), UPDATE_TEXT);
    assert.equal(await text(update.locator(".badge")), "on status page");
    assert.equal(await text(update.locator(".actor")), RESPONDER);
    assert.equal(await text(page.locator("#incident-state")), "acknowledged");
    assert.equal(await page.locator('#timeline li.event[data-kind="acknowledged"]').count(), 1);
    await screenshot(page, "incident-responder.png");

    // The same, as the API has it; and the channel was told about the incident.
    const incident = await api(`/api/v1/incidents/${id}`);
    assert.equal(incident.state, "acknowledged");
    const slack = await (await fetch(`${SINK}/control/requests`)).json();
    assert.ok(
      slack.some((request) => request.method === "POST" && request.path === "/slack"),
      "the Slack sink received the incident",
    );

    assert.deepEqual(problems, [], "no console errors on the responder's pages");
  } finally {
    await context.close();
  }
});

test("a viewer sees no action buttons, and a forged post from their session gets 403 and changes nothing", async () => {
  const id = shared.incident;
  assert.ok(id, "the first test opened an incident");
  const context = await newContext();
  try {
    const { page, problems } = await signIn(context, VIEWER);
    assert.equal(await text(page.locator("#role")), "viewer");
    await page.goto(`${TOCSIN}/incidents/${id}`);
    await page.locator("#read-only").waitFor({ state: "visible" });
    assert.equal(await text(page.locator("#incident-state")), "acknowledged");
    assert.equal(await page.locator("#actions").count(), 0);
    assert.equal(await page.locator("#main button").count(), 0, "no button in the page's body");
    assert.equal(await page.locator('#main form[method="post"]').count(), 0, "no form that posts");
    await screenshot(page, "incident-viewer.png");

    // The page's own token (from the sign-out form) and the session cookie, sent by hand.
    const csrf = await page.locator('#logout-form input[name="csrf"]').inputValue();
    assert.ok(csrf.length >= 16, "the page carries a CSRF token");
    const seen = await page.request.get(`${TOCSIN}/incidents/${id}`, { maxRedirects: 0 });
    assert.equal(seen.status(), 200, "the request carries the viewer's session");

    const before = await decisions(id);
    const forged = [
      ["acknowledge", {}],
      ["resolve", {}],
      ["severity", { severity: "SEV-2" }],
      ["notes", { text: "forged note" }],
      ["updates", { text: "forged update", status_page: "on" }],
    ];
    for (const [action, fields] of forged) {
      const response = await page.request.post(`${TOCSIN}/incidents/${id}/${action}`, {
        form: { csrf, ...fields },
        maxRedirects: 0,
      });
      assert.equal(response.status(), 403, `a viewer's POST …/${action}`);
      assert.match(await response.text(), /Viewers cannot change incidents/, `…/${action} is refused for the role`);
    }

    const incident = await api(`/api/v1/incidents/${id}`);
    assert.equal(incident.state, "acknowledged");
    assert.equal(incident.severity, "SEV-1");
    assert.deepEqual(await decisions(id), before, "the timeline is unchanged");
    await page.reload();
    assert.equal(await text(page.locator("#incident-state")), "acknowledged");
    assert.equal(await page.locator("#timeline", { hasText: "forged" }).count(), 0);

    assert.deepEqual(problems, [], "no console errors on the viewer's pages");
  } finally {
    await context.close();
  }
});

/** The left and right edges of an element, in CSS pixels. */
async function edges(locator) {
  const box = await locator.boundingBox();
  assert.ok(box, "the element is laid out");
  return { left: box.x, right: box.x + box.width };
}

test("the status page shows the update in Arabic, right to left, and in English, left to right", async () => {
  assert.ok(shared.incident, "the first test posted an update");
  const context = await newContext({ viewport: { width: 1024, height: 800 } });
  try {
    const page = await context.newPage();
    const problems = watch(page);

    const arabic = await page.goto(`${TOCSIN}/status`);
    assert.equal(arabic.status(), 200);
    assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
    assert.equal(await page.evaluate(() => document.documentElement.lang), "ar");
    assert.equal(await text(page.locator("#components-h")), "المكونات");
    assert.equal(await text(page.locator("#open-h")), "الحوادث الجارية");
    assert.equal(await text(page.locator("#history-h")), "الحوادث السابقة");
    const apiRow = page.locator("#component-api");
    assert.match(await text(apiRow.locator(".st")), /انقطاع كامل/, "the API is in a major outage");
    assert.match(await text(page.locator("#component-dashboard .st")), /يعمل/);
    const update = page.locator(".updates li p", { hasText: UPDATE_TEXT });
    assert.equal(await update.count(), 1, "the public update is on the page");
    assert.equal(await page.locator("body", { hasText: "forged" }).count(), 0);

    // Mirrored: the component's name is to the right of its status.
    const name = await edges(apiRow.locator(".row h3"));
    const status = await edges(apiRow.locator(".row .st"));
    assert.ok(name.left > status.right, `RTL: name ${JSON.stringify(name)} right of status ${JSON.stringify(status)}`);
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
      true,
      "no sideways scrolling",
    );
    await screenshot(page, "status-ar.png");

    const english = await page.goto(`${TOCSIN}/status?lang=en`);
    assert.equal(english.status(), 200);
    assert.equal(await page.evaluate(() => document.documentElement.dir), "ltr");
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
    assert.equal(await text(page.locator("#components-h")), "Components");
    assert.match(await text(apiRow.locator(".st")), /Major Outage/);
    assert.equal(await page.locator(".updates li p", { hasText: UPDATE_TEXT }).count(), 1);
    const nameEn = await edges(apiRow.locator(".row h3"));
    const statusEn = await edges(apiRow.locator(".row .st"));
    assert.ok(nameEn.right < statusEn.left, `LTR: name ${JSON.stringify(nameEn)} left of status ${JSON.stringify(statusEn)}`);
    await screenshot(page, "status-en.png");

    assert.deepEqual(problems, [], "no console errors on the status page");
  } finally {
    await context.close();
  }
});
