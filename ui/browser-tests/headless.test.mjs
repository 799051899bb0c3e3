// The UI against the REAL engine (lifeline-headless) through dev/headless-bridge.mjs, in headless Chromium.
// Runs only when LIFELINE_HEADLESS points at a built lifeline-headless; otherwise it is reported as skipped.
// With LIFELINE_LAB_SIGNIN=1 (lab running) it also signs in over ws://127.0.0.1:8080 as agent2 and signs out.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startBridge } from "../dev/headless-bridge.mjs";

const BINARY = process.env.LIFELINE_HEADLESS;
const SIGN_IN = process.env.LIFELINE_LAB_SIGNIN === "1";
const SCREENS = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../tests/artifacts/screens");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let dataDir;
let bridge;
let browser;

before(async () => {
  if (!BINARY) return;
  dataDir = await mkdtemp(join(tmpdir(), "lifeline-ui-headless-"));
  const config = join(dataDir, "config.json");
  await writeFile(
    config,
    JSON.stringify({ lab: true, server: "ws://127.0.0.1:8080", domain: "lifeline.lab", user: "agent2", locale: "en" }),
  );
  bridge = await startBridge({ binary: BINARY, args: ["--config", config, "--data-dir", dataDir] });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test("the real engine's agreement, accepted through the UI, then sign-in", { skip: !BINARY && "LIFELINE_HEADLESS not set" }, async () => {
  const context = await browser.newContext({ viewport: { width: 420, height: 720 }, locale: "en-US" });
  await context.addInitScript(() => Object.freeze(Object.prototype));
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(`${bridge.url}?engine=bridge`);
  const button = (name) => page.getByRole("button", { name, exact: true });

  await page.getByRole("heading", { name: /Emergency calls from Lifeline/ }).waitFor();
  await button("Lab").waitFor();
  await page.screenshot({ path: resolve(SCREENS, "headless-agreement.png") });
  await button("Accept").click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.getByLabel("Server").inputValue(), "ws://127.0.0.1:8080");
  assert.equal(await page.getByLabel("User").inputValue(), "agent2");

  await button("Settings").click();
  await page.getByText(/Version \d+ accepted on/).waitFor();
  await button("Back").click();

  if (SIGN_IN) {
    await page.getByLabel("Password").fill("agent2-secret");
    await button("Sign in").click();
    await page.getByText("Registered as agent2@lifeline.lab").waitFor({ timeout: 15000 });
    await button("Call").waitFor();
    await page.screenshot({ path: resolve(SCREENS, "headless-registered.png") });
    await button("Settings").click();
    await button("Sign out").click();
    await page.getByText("Not registered").waitFor({ timeout: 15000 });
  }
  assert.deepEqual(problems, []);
  await context.close();
});
