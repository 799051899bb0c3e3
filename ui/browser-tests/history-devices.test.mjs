// Recent calls on the softphone and the audio device selects (Settings and the emergency panel), in headless
// Chromium against the mock engine: what they show, that a recent call only FILLS the number field (never
// dials), that device changes go to the engine as set_devices, axe-core finds no violations, and screenshots
// go to tests/artifacts/screens/. Run with `npm run test:browser` (builds first).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./static-server.mjs";
import { expectFocus, focusedText } from "./focus.mjs";

const SCREENS = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../tests/artifacts/screens");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
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

let server;
let browser;

before(async () => {
  await mkdir(SCREENS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the UI on a mock scenario and records every command the UI sends to the (mock) engine. */
async function open(query, options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 420, height: 720 },
    locale: options.locale ?? "en-US",
    colorScheme: options.colorScheme ?? "light",
  });
  await context.addInitScript(() => Object.freeze(Object.prototype));
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  await page.goto(`${server.url}?${query}`);
  await page.waitForFunction(() => window.lifelineMock !== undefined);
  await page.evaluate(() => {
    const mock = window.lifelineMock;
    const send = mock.send.bind(mock);
    window.sentCommands = [];
    mock.send = (command) => {
      window.sentCommands.push(command);
      return send(command);
    };
  });
  page.problems = problems;
  page.sent = () => page.evaluate(() => window.sentCommands);
  page.closeAll = () => context.close();
  return page;
}

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

async function check(page, screen, fullPage = false) {
  await axe(page);
  await page.waitForTimeout(200);
  await page.screenshot({ path: resolve(SCREENS, `${screen}.png`), fullPage });
  assert.deepEqual(page.problems, [], `problems on ${screen}`);
}

const button = (page, name) => page.getByRole("button", { name, exact: true });
const recent = (page) => page.getByRole("region", { name: "Recent calls" });
/** The text a sighted agent sees (without the words kept for screen readers), spaces collapsed. */
const seenText = (locator) =>
  locator.evaluate((el) => {
    const copy = el.cloneNode(true);
    for (const hidden of copy.querySelectorAll(".visually-hidden, [aria-hidden='true']")) hidden.remove();
    return copy.textContent.replace(/\s+/g, " ").trim();
  });
/** One recent call as seen: [who, what happened, when]. */
const seen = async (row) => [
  await seenText(row.locator(".history__who")),
  await seenText(row.locator(".history__meta")),
  (await row.locator("time").count()) > 0 ? await seenText(row.locator("time")) : null,
];

describe("recent calls", () => {
  test("the list shows who, direction, outcome, local time and duration; missed calls in red", async () => {
    const page = await open("mock=signed-in");
    await recent(page).waitFor();
    const rows = recent(page).getByRole("listitem");
    assert.equal(await rows.count(), 5);
    const first = rows.nth(0);
    const [who, meta, when] = await seen(first);
    assert.deepEqual([who, meta], ["peer", "Answered · 0:42"]);
    assert.match(when, /^\d?\d:\d\d [AP]M$/, "today: the local time only");
    // The direction is said to screen readers (the arrow is decoration).
    assert.match(await first.getByRole("button").evaluate((b) => b.textContent), /Incoming, Answered/);
    const missed = rows.nth(1);
    assert.match(await missed.innerText(), /peer2[\s\S]*Missed/);
    const red = await missed.locator(".history__outcome").evaluate((el) => getComputedStyle(el).color);
    const plain = await first.locator(".history__outcome").evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(red, plain, "missed is coloured");
    assert.equal(red, "rgb(179, 38, 30)", "missed uses the 'bad' red");
    // Own domain reads as the user part, tel: as the number, other domains whole.
    assert.match(await rows.nth(2).innerText(), /\+15550100[\s\S]*12:34/);
    assert.match(await rows.nth(3).innerText(), /sip:support@example\.com[\s\S]*Cancelled/);
    assert.match(await rows.nth(4).innerText(), /agent2[\s\S]*Rejected/);
    await recent(page).scrollIntoViewIfNeeded();
    await check(page, "history");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(SCREENS, "history-full.png"), fullPage: true });
    await page.closeAll();
  });

  test("a click fills the number field and focuses Call, and nothing is dialled", async () => {
    const page = await open("mock=signed-in");
    await recent(page).waitFor();
    await recent(page).getByRole("button", { name: /peer2/ }).click();
    assert.equal(await page.getByLabel("Number to call").inputValue(), "peer2");
    await expectFocus(page, "Call");
    await page.waitForTimeout(300);
    assert.equal((await page.sent()).filter((c) => c.cmd === "dial").length, 0, "a recent call is never dialled by itself");
    assert.equal(await button(page, "End call").count(), 0);
    // The agent presses Call: now it dials what the list put there.
    await page.keyboard.press("Enter");
    await button(page, "End call").waitFor();
    assert.deepEqual((await page.sent()).filter((c) => c.cmd === "dial"), [{ cmd: "dial", number: "peer2" }]);
    await page.closeAll();
  });

  test("keyboard only: Tab to a recent call, Enter fills the field, Enter again calls", async () => {
    const page = await open("mock=signed-in");
    await recent(page).waitFor();
    for (let i = 0; i < 30 && !(await focusedText(page)).includes("+15550100"); i++) await page.keyboard.press("Tab");
    assert.match(await focusedText(page), /\+15550100/, "Tab reaches the recent calls");
    await page.keyboard.press("Enter");
    assert.equal(await page.getByLabel("Number to call").inputValue(), "+15550100");
    await expectFocus(page, "Call");
    await page.keyboard.press("Enter");
    await button(page, "End call").waitFor();
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });

  test("a finished call appears at the top of the list", async () => {
    const page = await open("mock=signed-in");
    await recent(page).waitFor();
    await page.getByLabel("Number to call").fill("peer");
    await button(page, "Call").click();
    await page.locator(".timer", { hasText: /\d:\d\d/ }).waitFor();
    await page.waitForTimeout(1100);
    await button(page, "End call").click();
    await recent(page).waitFor();
    await recent(page).getByRole("listitem").nth(5).waitFor();
    const [who, meta] = await seen(recent(page).getByRole("listitem").first());
    assert.equal(who, "peer");
    assert.match(meta, /^Answered · 0:0\d$/);
    await page.closeAll();
  });

  test("no calls yet: the list says so", async () => {
    const page = await open("mock=signed-in&history=empty");
    await recent(page).getByText("No calls yet").waitFor();
    assert.equal(await recent(page).getByRole("listitem").count(), 0);
    await check(page, "history-empty");
    await page.closeAll();
  });

  test("an emergency redial entry reads as such, has no time, and only fills the field", async () => {
    const page = await open("mock=signed-in&history=redial");
    await recent(page).waitFor();
    const entry = recent(page).getByRole("listitem").first();
    assert.match(await entry.innerText(), /911\s*Emergency call — kept so you can dial it again$/);
    assert.equal(await entry.locator("time").count(), 0);
    await entry.getByRole("button").click();
    assert.equal(await page.getByLabel("Number to call").inputValue(), "911");
    await expectFocus(page, "Call");
    await page.waitForTimeout(300);
    assert.equal(await page.getByRole("heading", { name: "Emergency call in progress" }).count(), 0, "never an emergency call from one click");
    await recent(page).scrollIntoViewIfNeeded();
    await check(page, "history-redial");
    await page.closeAll();
  });

  test("dark theme, French and German lists pass the checks", async () => {
    let page = await open("mock=signed-in&history=redial", { colorScheme: "dark" });
    await recent(page).waitFor();
    await recent(page).scrollIntoViewIfNeeded();
    await check(page, "history-dark");
    await page.closeAll();
    page = await open("mock=signed-in", { locale: "fr-FR" });
    await page.getByRole("region", { name: "Appels récents" }).getByText("Manqué").waitFor();
    await check(page, "history-fr", true);
    await page.closeAll();
    page = await open("mock=signed-in", { locale: "de-DE" });
    await page.getByRole("region", { name: "Letzte Anrufe" }).getByText("Verpasst").waitFor();
    await check(page, "history-de", true);
    await page.closeAll();
  });
});

describe("audio device choice", () => {
  test("Settings asks for the devices and offers Microphone, Speaker and Ringer; a change sends set_devices", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Settings").click();
    const mic = page.getByRole("combobox", { name: "Microphone", exact: true });
    const speaker = page.getByRole("combobox", { name: "Speaker", exact: true });
    const ringer = page.getByRole("combobox", { name: "Ringer", exact: true });
    await mic.waitFor();
    assert.ok((await page.sent()).some((c) => c.cmd === "list_devices"), "list_devices when the settings open");
    const names = (select) => select.locator("option").allInnerTexts();
    assert.deepEqual(await names(mic), ["System default", "Built-in microphone (system default)", "USB headset"]);
    assert.deepEqual(await names(speaker), ["System default", "USB headset", "Built-in speaker (system default)", "HDMI display audio"]);
    assert.deepEqual(await names(ringer), await names(speaker));
    await speaker.selectOption({ label: "USB headset" });
    await ringer.selectOption({ label: "HDMI display audio" });
    const sets = (await page.sent()).filter((c) => c.cmd === "set_devices");
    assert.deepEqual(sets, [
      { cmd: "set_devices", input: null, output: "usb-headset", ringer: null },
      { cmd: "set_devices", input: null, output: null, ringer: "hdmi" },
    ]);
    // The engine's answer keeps them; "System default" is gone once a device is chosen.
    await page.waitForTimeout(200);
    assert.equal(await speaker.inputValue(), "usb-headset");
    assert.equal(await ringer.inputValue(), "hdmi");
    assert.deepEqual(await names(speaker), ["USB headset", "Built-in speaker (system default)", "HDMI display audio"]);
    assert.equal(await mic.inputValue(), "");
    await check(page, "settings-devices", true);
    await page.closeAll();
  });

  test("during an emergency call the reduced panel keeps the selects, and a change moves the call at once", async () => {
    const page = await open("mock=emergency-active");
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    const mic = page.getByRole("combobox", { name: "Microphone", exact: true });
    await mic.waitFor();
    await mic.selectOption({ label: "USB headset" });
    // The engine moved the call: the select shows it (no "In use" line repeating the same name).
    await page.waitForTimeout(200);
    assert.equal(await mic.inputValue(), "usb-headset");
    await page.getByText("In use: Built-in speaker").waitFor();
    assert.equal(await page.getByRole("combobox", { name: "Ringer", exact: true }).count(), 0, "no ringer choice during the call");
    assert.deepEqual((await page.sent()).filter((c) => c.cmd === "set_devices"), [{ cmd: "set_devices", input: "usb-headset", output: null, ringer: null }]);
    await button(page, "End call").waitFor();
    const end = await button(page, "End call").boundingBox();
    assert.ok(end && end.y + end.height <= 720, `End call still inside the window: ${JSON.stringify(end)}`);
    await check(page, "emergency-devices");
    await page.closeAll();
  });

  test("a device that cannot be opened says so under its select", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Settings").click();
    await page.getByRole("combobox", { name: "Speaker", exact: true }).waitFor();
    await page.evaluate(() =>
      window.lifelineMock.emit({ event: "audio_device", audio_event: "device_unavailable", role: "speaker", reason: "device busy" }),
    );
    await page.getByText("Not available").waitFor();
    const described = await page.getByRole("combobox", { name: "Speaker", exact: true }).getAttribute("aria-describedby");
    assert.equal(described, "device-speaker-note");
    await page.closeAll();
  });
});
