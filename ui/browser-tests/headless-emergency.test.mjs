// The emergency flow of the UI on the REAL engine (lifeline-headless through dev/headless-bridge.mjs) and the
// lab, in headless Chromium: a managed policy with a US address and the lab dispatcher as the emergency
// services; Busy, 911, the reduced panel with the address being sent, End call, the lock banner, a refused
// status change, the dispatcher's callback answered and ended, then the engine's core made to panic (use
// another phone, the lock still held). The same flow as tests/e2e/test_app_emergency.py
// without the Tauri shell, so the UI and the engine can be checked together in seconds.
// Runs only with LIFELINE_HEADLESS=<lifeline-headless> and LIFELINE_LAB_EMERGENCY=1 (lab running; the
// dispatcher is dialled through tests/lablib with the test venv's python, LIFELINE_VENV or
// /var/cache/lifeline/venv). Signs in as agent2.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startBridge } from "../dev/headless-bridge.mjs";

const BINARY = process.env.LIFELINE_HEADLESS;
const ENABLED = Boolean(BINARY) && process.env.LIFELINE_LAB_EMERGENCY === "1";
const HERE = fileURLToPath(new URL(".", import.meta.url));
const SCREENS = resolve(HERE, "../../tests/artifacts/screens");
const TESTS = resolve(HERE, "../../tests");
const PYTHON = join(process.env.LIFELINE_VENV ?? "/var/cache/lifeline/venv", "bin", "python");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const POLICY = {
  emergency: { lock_minutes: 5, callback_from: ["sip:psap@lifeline.lab"] },
  location: { address: { country: "US", A1: "TX", A3: "Austin", RD: "Main", STS: "St", HNO: "100", FLR: "3", ROOM: "301", PC: "78701" } },
};

let dir;
let bridge;
let browser;

before(async () => {
  if (!ENABLED) return;
  dir = await mkdtemp(join(tmpdir(), "lifeline-ui-emergency-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ lab: true, server: "ws://127.0.0.1:8080", domain: "lifeline.lab", user: "agent2" }));
  await writeFile(join(dir, "policy.json"), JSON.stringify(POLICY));
  bridge = await startBridge({
    binary: BINARY,
    args: ["--config", join(dir, "config.json"), "--policy", join(dir, "policy.json"), "--data-dir", join(dir, "data"), "--audio-out", join(dir, "speaker.wav")],
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
  await bridge?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function dispatcherCalls(uri) {
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(TESTS)}); from lablib import Lab, Psap; p = Psap(Lab()); p.dial(${JSON.stringify(uri)}); p.close()`;
  execFileSync(PYTHON, ["-c", code], { stdio: "inherit", timeout: 30000 });
}

test("911 on the real engine: panel, lock, refused status, callback, a panicking engine", { skip: !ENABLED && "needs LIFELINE_HEADLESS and LIFELINE_LAB_EMERGENCY=1" }, async () => {
  const context = await browser.newContext({ viewport: { width: 420, height: 720 }, locale: "en-US" });
  await context.addInitScript(() => Object.freeze(Object.prototype));
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(err.message));
  const button = (name) => page.getByRole("button", { name, exact: true });
  const shot = (name) => page.screenshot({ path: resolve(SCREENS, `headless-emergency-${name}.png`) });
  await page.goto(`${bridge.url}?engine=bridge`);

  await button("Accept").click();
  await page.getByLabel("Password").fill("agent2-secret");
  await button("Sign in").click();
  await page.getByText("Registered as agent2@lifeline.lab").waitFor();
  await page.getByLabel("Status").selectOption("busy");
  await page.waitForFunction(() => document.getElementById("presence")?.value === "busy");

  await page.getByLabel("Number to call").fill("911");
  await button("Call").click();
  await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
  await page.getByText("100 Main St, Floor 3, Room 301, Austin, TX, 78701, US").waitFor();
  await page.locator(".timer", { hasText: /\d:\d\d/ }).waitFor();
  for (const name of ["Mute", "Hold", "Keypad", "Call", "Settings"]) assert.equal(await button(name).count(), 0, name);
  await shot("panel");

  await button("End call").click();
  await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
  await page.getByText(/^[0-5]:\d\d left/).waitFor();
  await page.getByLabel("Status").selectOption("available");
  await page.getByText("Your status stays Do not disturb during emergency mode").waitFor();
  assert.equal(await page.getByLabel("Status").inputValue(), "do_not_disturb");
  await shot("lock");

  dispatcherCalls("sip:agent2@lifeline.lab");
  await page.getByRole("heading", { name: "Emergency services are calling back" }).waitFor();
  assert.equal(await button("Reject").count(), 0);
  await button("Answer").click();
  await page.getByRole("heading", { name: "Emergency callback in progress" }).waitFor();
  await shot("callback");
  await button("End call").click();
  await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();

  // The engine's core panics during the lock (lab-only command): the supervisor restarts it, the agent is told
  // to use another phone, and the lock is still held once that screen is closed.
  const panicAt = Date.now();
  const sent = await fetch(new URL("/__engine/command", bridge.url), { method: "POST", body: JSON.stringify({ cmd: "lab_panic" }) });
  assert.equal(sent.status, 204);
  await page.getByRole("heading", { name: "Use another phone now" }).waitFor();
  await page.locator(".failed__message", { hasText: "emergency callback lock is still on" }).waitFor();
  console.log(`lab_panic -> "Use another phone now" on screen: ${Date.now() - panicAt} ms`);
  await shot("engine-restarted");
  await button("Close").click();
  await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
