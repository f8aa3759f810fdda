// Issue 12, item 8: `tocsin demo` tells a newcomer tocsin's whole story in a real browser, offline,
// within two minutes, through the demo page's own buttons and links: break the app → the SEV-1's
// runbook checklist with its live facts, the SMS and e-mail pages, the Arabic customer notice, the
// status page entry → heal → the post-mortem draft. Every request the browser makes must stay on
// this machine. Run by ../run.sh, which passes the binary (TOCSIN_BIN); this file starts the demo
// itself. Screenshots go to artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { chromium } from "playwright-core";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/browser/run.sh`);
  return value;
}

const BIN = env("TOCSIN_BIN");
const ARTIFACTS = env("ARTIFACTS");

/// The whole story, from the first page to the post-mortem draft.
const STORY_WITHIN = 120_000;
/// One step of it: a 2 s probe confirmed twice, a 2 s page refresh, room for a slow machine.
const STEP_WITHIN = 60_000;

let browser;
let demo;
let demoUrl;
const demoLog = [];

/** Starts `tocsin demo` on a free port; resolves with the URL its first line prints. */
function startDemo() {
  demo = spawn(BIN, ["--log-format", "json", "demo", "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  readline.createInterface({ input: demo.stderr }).on("line", (line) => demoLog.push(line));
  const lines = readline.createInterface({ input: demo.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo printed no URL within 60 s")), 60_000);
    demo.on("exit", (code) => reject(new Error(`the demo exited (${code}):\n${demoLog.join("\n")}`)));
    lines.once("line", (first) => {
      clearTimeout(timer);
      const url = /(http:\/\/\S+)\/demo/.exec(first);
      if (url) resolve(url[1]);
      else reject(new Error(`unexpected first line: ${first}`));
    });
  });
}

before(async () => {
  demoUrl = await startDemo();
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
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo.once("exit", resolve));
    demo.kill("SIGTERM");
    await exited;
  }
});

/** Collects a page's console errors and uncaught exceptions: any of them fails the test. */
function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    problems.push(`console error: ${message.text()} (${message.location().url || page.url()})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  return problems;
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

/** The demo page held still (it refreshes itself every 2 s otherwise), for reading and pictures. */
async function still(page) {
  await page.goto(`${demoUrl}/demo?paused`);
}

test("the demo shows the whole story in a browser, offline, within two minutes", async () => {
  const started = Date.now();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Offline: anything not on this machine is refused and remembered.
  const leftTheMachine = [];
  await context.route("**/*", (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === "127.0.0.1" || hostname === "localhost") return route.continue();
    leftTheMachine.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const problems = watch(page);

  // A newcomer opens the page, signs in with its button, and breaks the app with its button.
  await page.goto(`${demoUrl}/demo`);
  await page.locator("#sign-in button").click();
  await page.waitForURL(`${demoUrl}/demo`);
  await still(page);
  assert.match(await page.locator("#signed-in").innerText(), /Signed in as demo@tocsin\.local/);
  await screenshot(page, "demo-1-start.png");
  await page.locator("#break").click();
  await page.waitForURL(`${demoUrl}/demo`);

  // The SEV-1 opens; the inbox fills: SMS and e-mail pages to Sami, the Arabic notice.
  const incidentRow = page.locator("#incidents tr[data-state='triggered']");
  await incidentRow.first().waitFor({ timeout: STEP_WITHIN });
  const sms = page.locator("tr.message[data-medium='sms'][data-to='+966500000000']", {
    hasText: "SEV-1 opened",
  });
  const emailPage = page.locator("tr.message[data-medium='email'][data-to='sami@dealix.example']", {
    hasText: "[SEV-1]",
  });
  const notice = page.locator(
    "tr.message[data-medium='email'][data-to='customer@dealix-customer.example']",
    { hasText: "نواجه مشكلة فنية مؤقتة في النظام. الفريق يعمل على حلها." },
  );
  for (const message of [sms, emailPage, notice]) {
    await message.first().waitFor({ timeout: STEP_WITHIN });
  }

  await still(page);
  const id = await page.locator("#incidents tr[data-state='triggered']").first().getAttribute("id");
  const incidentId = id.replace(/^incident-/, "");
  assert.ok(await sms.locator("a.ack").isVisible(), "the SMS carries an acknowledge link");
  assert.ok(await emailPage.locator("a.ack").isVisible(), "the e-mail page carries an acknowledge link");
  const noticeCell = notice.locator("td[lang='ar']");
  assert.equal(await noticeCell.getAttribute("dir"), "rtl");
  assert.equal(
    await notice.locator("pre.text").evaluate((el) => getComputedStyle(el).direction),
    "rtl",
    "the Arabic notice reads right to left",
  );
  await screenshot(page, "demo-2-inbox.png");

  // The checklist: the incident page, signed in, with the SEV-1 runbook and its live facts.
  await page.locator(`#incident-${incidentId} a.checklist`).click();
  await page.waitForURL(`${demoUrl}/incidents/${incidentId}`);
  const checklist = page.locator("#checklist");
  await checklist.waitFor();
  assert.match(await checklist.locator("h2").innerText(), /SEV-1 response \(full outage\)/);
  const confirm = checklist.locator("li.item", { hasText: "Confirm: open" });
  assert.match(await confirm.locator(".fact-monitor").innerText(), /down since/);
  const lastDeploy = checklist.locator("li.item", { hasText: "Diagnose: last deploy?" });
  assert.match(
    await lastDeploy.locator(".fact-last_change").innerText(),
    /Cache the pricing table.*0 min before the incident/s,
  );
  assert.match(await page.locator("#card-changes").innerText(), /deployed less than a minute before/);
  assert.ok(await checklist.locator("button[data-action='rollback']").isVisible(), "the rollback button");
  await screenshot(page, "demo-3-checklist.png");

  // The public status page, from the demo page's link, shows the outage.
  await still(page);
  await page.locator("#status-link").click();
  await page.waitForURL(`${demoUrl}/status`);
  await page.locator(`#incident-${incidentId}`).waitFor();
  assert.equal(await page.locator("html").getAttribute("dir"), "rtl");
  await screenshot(page, "demo-4-status.png");

  // Heal with the demo page's button: the incident resolves and the post-mortem draft appears.
  await page.goto(`${demoUrl}/demo`);
  await page.locator("#heal").click();
  await page.waitForURL(`${demoUrl}/demo`);
  const draftLink = page.locator(`#incident-${incidentId} a.postmortem`);
  await draftLink.waitFor({ timeout: STEP_WITHIN });
  await still(page);
  assert.equal(await page.locator(`#incident-${incidentId}`).getAttribute("data-state"), "resolved");
  assert.match(
    await page.locator(`#incident-${incidentId} .links`).innerText(),
    /due \d{4}-\d{2}-\d{2} \d{2}:\d{2}/,
  );
  await screenshot(page, "demo-5-resolved.png");
  await page.locator(`#incident-${incidentId} a.postmortem`).click();
  await page.waitForURL(`${demoUrl}/postmortems/${incidentId}`);
  const draft = await page.locator("#postmortem-text").inputValue();
  assert.match(draft, /## Timeline/);
  assert.match(draft, /## Root cause/);
  assert.match(await page.locator("#postmortem-status").textContent(), /draft/);
  await screenshot(page, "demo-6-postmortem.png");

  const took = Date.now() - started;
  assert.ok(took < STORY_WITHIN, `the story took ${took} ms`);
  assert.deepEqual(leftTheMachine, [], "nothing was fetched from off this machine");
  assert.deepEqual(problems, []);
  const errors = demoLog.filter((line) => line.includes('"level":"ERROR"'));
  assert.deepEqual(errors, [], "the demo logged no errors");
  await context.close();
});
