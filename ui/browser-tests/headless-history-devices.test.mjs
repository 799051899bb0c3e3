// Recent calls and device choice against the REAL engine (lifeline-headless) through dev/headless-bridge.mjs.
// Runs only when LIFELINE_HEADLESS points at a built lifeline-headless (else skipped). The device part needs
// no lab; with LIFELINE_LAB_SIGNIN=1 (lab running) it also signs in (LIFELINE_UIHIST_USER, default agent2,
// password "<user>-secret"), calls a user that does not exist, and expects that failed call in Recent calls.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startBridge } from "../dev/headless-bridge.mjs";
import { expectFocus } from "./focus.mjs";

const BINARY = process.env.LIFELINE_HEADLESS;
const SIGN_IN = process.env.LIFELINE_LAB_SIGNIN === "1";
const USER = process.env.LIFELINE_UIHIST_USER ?? "agent2";
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
  dataDir = await mkdtemp(join(tmpdir(), "lifeline-ui-uihist-"));
  const config = join(dataDir, "config.json");
  await writeFile(config, JSON.stringify({ lab: true, server: "ws://127.0.0.1:8080", domain: "lifeline.lab", user: USER, locale: "en" }));
  bridge = await startBridge({ binary: BINARY, args: ["--config", config, "--data-dir", dataDir] });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
  await bridge?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function axe(page) {
  await page.addScriptTag({ url: "/__test__/axe.js" });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(result, [], `axe-core violations:\n${result.join("\n")}`);
}

test("the real engine's devices as selects, a choice it keeps, and (on the lab) a failed call in Recent calls", { skip: !BINARY && "LIFELINE_HEADLESS not set" }, async () => {
  const context = await browser.newContext({ viewport: { width: 420, height: 720 }, locale: "en-US" });
  await context.addInitScript(() => Object.freeze(Object.prototype));
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(`${bridge.url}?engine=bridge`);
  const button = (name) => page.getByRole("button", { name, exact: true });

  await button("Accept").click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await button("Settings").click();
  const mic = page.getByRole("combobox", { name: "Microphone", exact: true });
  const devices = page.getByRole("heading", { name: "Audio devices" });
  await devices.waitFor();
  if ((await mic.count()) === 0 && (await page.getByText("Lifeline uses the system's default devices").count()) > 0) {
    // This machine's engine lists no devices (audio files): nothing to choose, and the section says so.
    await axe(page);
  } else {
    await mic.waitFor();
    const ids = await mic.locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.ok(ids.length >= 2, `the engine listed microphones: ${ids.join(", ")}`);
    const other = ids.find((id) => id !== "" && id !== (ids[0] ?? ""));
    await mic.selectOption(other);
    // The engine answers set_devices with `devices`; the choice it kept is what the select shows.
    await page.waitForFunction((id) => document.getElementById("device-microphone")?.value === id && !document.querySelector("#device-microphone option[value='']"), other);
    await axe(page);
    await devices.scrollIntoViewIfNeeded();
    await page.screenshot({ path: resolve(SCREENS, "headless-settings-devices.png"), fullPage: true });
  }
  await button("Back").click();

  if (SIGN_IN) {
    await page.getByLabel("Password").fill(`${USER}-secret`);
    await button("Sign in").click();
    await page.getByText(`Registered as ${USER}@lifeline.lab`).waitFor({ timeout: 15000 });
    const recent = page.getByRole("region", { name: "Recent calls" });
    await recent.getByText("No calls yet").waitFor();
    await page.getByLabel("Number to call").fill("nobody-uihist");
    await button("Call").click();
    await recent.getByRole("button", { name: /nobody-uihist/ }).waitFor({ timeout: 20000 });
    const entry = recent.getByRole("listitem").first();
    assert.match(await entry.innerText(), /nobody-uihist[\s\S]*(Failed|Cancelled)/);
    await page.getByLabel("Number to call").fill("");
    await entry.getByRole("button").click();
    assert.equal(await page.getByLabel("Number to call").inputValue(), "nobody-uihist");
    await expectFocus(page, "Call");
    await axe(page);
    await page.screenshot({ path: resolve(SCREENS, "headless-history.png"), fullPage: true });
    await button("Settings").click();
    await button("Sign out").click();
    await page.getByText("Not registered").waitFor({ timeout: 15000 });
  }
  assert.deepEqual(problems, []);
  await context.close();
});
