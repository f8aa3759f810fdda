// Issue 7's break-glass export in a real browser: `tocsin export --static` writes plain files;
// headless Chromium opens index.html from file:// (no server anywhere), follows the link to a
// runbook and finds its text and its checklist. Any request that is not file:// fails the test:
// the copy must work with the network down. Run by ../run.sh (TOCSIN_BIN, ARTIFACTS).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/browser/run.sh`);
  return value;
}

const BIN = env("TOCSIN_BIN");
const ARTIFACTS = env("ARTIFACTS");
// The variables the example needs (it has no fallbacks for secrets), with the tests' values.
function exampleEnv() {
  const file = fileURLToPath(new URL("../../fixtures/example.env", import.meta.url));
  return Object.fromEntries(fs.readFileSync(file, "utf8").split("\n")
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

const EXAMPLE = fileURLToPath(new URL("../../../spec/tocsin.example.toml", import.meta.url));

let browser;
let work;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "tocsin-export-"));
  execFileSync(BIN, [
    "export", "--static", path.join(work, "out"),
    "--config", EXAMPLE,
    "--database", `sqlite://${path.join(work, "tocsin.db")}`,
  ], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...exampleEnv() } });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("the exported copy opens from file:// and leads to a runbook with its checklist", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const offline = [];
  // Everything the pages load must come from the folder itself.
  await context.route(/^(?!file:)/, (route) => {
    offline.push(route.request().url());
    return route.abort();
  });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));

  await page.goto(pathToFileURL(path.join(work, "out", "index.html")).href);
  await assert.doesNotReject(page.getByRole("heading", { name: /break-glass copy/ }).waitFor());

  await page.getByRole("link", { name: "Database connection refused" }).click();
  assert.match(page.url(), /^file:\/\/.*\/runbooks\/database-connection-refused\.html$/);
  await page.getByRole("heading", { level: 1, name: "Database connection refused" }).waitFor();
  const main = page.locator("main");
  assert.match(await main.innerText(), /DATABASE_URL wrong or the Postgres add-on is down/);
  assert.match(await main.innerText(), /Redeploy\./);
  // The live part of the runbook is a plain placeholder, not a broken widget.
  assert.match(await main.innerText(), /\[monitor database\]/);

  // The checklist: four boxes, unticked, that a responder can tick while working through it.
  const boxes = main.getByRole("checkbox");
  assert.equal(await boxes.count(), 4);
  assert.equal(await boxes.first().isChecked(), false);
  await boxes.first().check();
  assert.equal(await boxes.first().isChecked(), true);
  await page.screenshot({ path: path.join(ARTIFACTS, "export-runbook.png"), fullPage: true });

  // And back through the relative links to the contacts, with the number to call.
  await page.getByRole("link", { name: "Contacts" }).first().click();
  await page.getByRole("link", { name: "+966500000000" }).waitFor();

  assert.deepEqual(offline, [], "the export fetched something that is not in the folder");
  assert.deepEqual(errors, []);
  await context.close();
});
