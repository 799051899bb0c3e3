// Every screen of the UI in headless Chromium against the mock engine: it renders, axe-core finds no
// violations, nothing breaks the app's CSP, and a screenshot goes to tests/artifacts/screens/<screen>.png.
// Run with `npm run test:browser` (builds first). Uses Debian's /usr/bin/chromium (override: CHROMIUM=...).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./static-server.mjs";
import { expectFocus, pressUntilFocus } from "./focus.mjs";

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
const VIEWPORT = { width: 420, height: 720 };

let server;
let browser;

before(async () => {
  await mkdir(SCREENS, { recursive: true });
  server = await startServer();
  // Playwright gives every launch a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the UI with a mock scenario; collects page errors and CSP violations for `check`. */
async function open(query, options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORT,
    locale: options.locale ?? "en-US",
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: options.reducedMotion ?? "no-preference",
  });
  // The app runs with tauri.conf.json's `freezePrototype: true`: prove the bundle copes with that too.
  await context.addInitScript(() => Object.freeze(Object.prototype));
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  await page.goto(`${server.url}?${query}`);
  page.problems = problems;
  page.closeAll = () => context.close();
  return page;
}

/** axe-core (served from node_modules, same origin so the CSP allows it) must find nothing. */
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

async function check(page, screen) {
  await axe(page);
  // Let transitions settle so the screenshot shows the resting state.
  await page.waitForTimeout(200);
  await page.screenshot({ path: resolve(SCREENS, `${screen}.png`) });
  assert.deepEqual(page.problems, [], `problems on ${screen}`);
}

const button = (page, name) => page.getByRole("button", { name, exact: true });

describe("screens", () => {
  test("agreement without a line: title, scrollable text, one Accept and the emergency field only", async () => {
    const page = await open("mock=agreement");
    await page.getByRole("heading", { level: 1 }).waitFor();
    assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /Emergency calls from Lifeline/);
    await button(page, "Accept").waitFor();
    assert.equal(await button(page, "Call").count(), 0);
    assert.equal(await button(page, "Settings").count(), 0);
    await page.getByText("Not signed in: this line cannot call yet.", { exact: false }).waitFor();
    await check(page, "agreement");
    await page.closeAll();
  });

  test("before sign-in an emergency number says use another phone, with the address (issue 15)", async () => {
    const page = await open("mock=signed-out");
    await page.getByLabel("Emergency number").fill("911");
    await check(page, "sign-in-emergency-dial");
    await button(page, "Call emergency number").click();
    await page.getByText("100 Main St, Floor 3, Room 301, Austin, TX, 78701, US").waitFor();
    await page.closeAll();
  });

  test("agreement with a registered line offers emergency dialling only", async () => {
    const page = await open("mock=agreement-registered");
    await page.getByLabel("Emergency number").waitFor();
    assert.equal(await button(page, "Call").count(), 0);
    await check(page, "agreement-registered");
    await page.closeAll();
  });

  test("accepting the agreement leads to sign-in, and signing in to the softphone", async () => {
    const page = await open("mock=agreement");
    await button(page, "Accept").click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await page.getByLabel("Server").inputValue(), "wss://127.0.0.1:4443");
    assert.equal(await page.getByLabel("Domain").inputValue(), "lifeline.lab");
    assert.equal(await page.getByLabel("User").inputValue(), "agent");
    await page.getByText("Not registered").waitFor();
    await check(page, "sign-in");
    await page.getByLabel("Password").fill("agent-secret");
    await page.getByLabel("Remember on this computer").check();
    await button(page, "Sign in").click();
    await button(page, "Call").waitFor();
    await page.getByText("Registered as agent@lifeline.lab").waitFor();
    await page.closeAll();
  });

  test("sign-in shows why registration failed", async () => {
    const page = await open("mock=sign-in-failed");
    await page.getByText("Registration failed: the server refused the user name or password. Check both and sign in again.").waitFor();
    await button(page, "Sign in").click();
    await page.getByText("Fill in every field to sign in.").waitFor();
    await check(page, "sign-in-failed");
    await page.closeAll();
  });

  test("softphone: number, dial pad, Call and status; typing works", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Call").waitFor();
    await page.keyboard.type("20");
    await button(page, "1").click();
    assert.equal(await page.getByLabel("Number to call").inputValue(), "201");
    await page.getByLabel("Status").waitFor();
    await check(page, "softphone");
    await page.closeAll();
  });

  test("the Lab badge explains where emergency calls go", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Lab").click();
    await page.getByText("simulated dispatcher").waitFor();
    await check(page, "lab-badge");
    await page.closeAll();
  });

  test("an ordinary call: dialling, then Mute, Hold, keypad and End call", async () => {
    const page = await open("mock=signed-in");
    await page.getByLabel("Number to call").fill("peer");
    await button(page, "Call").click();
    await button(page, "End call").waitFor();
    await page.locator(".timer", { hasText: /\d:\d\d/ }).waitFor();
    await button(page, "Mute").click();
    await page.locator('button[aria-pressed="true"]', { hasText: "Mute" }).waitFor();
    await button(page, "Keypad").click();
    await button(page, "5").click();
    await page.getByText("Sent: 5").waitFor();
    await check(page, "in-call");
    await button(page, "Hold").click();
    await page.getByText(/On hold/).waitFor();
    await check(page, "in-call-held");
    await button(page, "End call").click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("transfer: a target field behind the Transfer button; a failure keeps the call, success ends it (issue 20)", async () => {
    const page = await open("mock=in-call");
    await button(page, "End call").waitFor();
    const transfer = button(page, "Transfer");
    await transfer.focus();
    await page.keyboard.press("Enter");
    await page.locator('button[aria-expanded="true"]', { hasText: "Transfer" }).waitFor();
    const field = page.getByLabel("Transfer to (number or address)");
    await field.fill("busy");
    await check(page, "in-call-transfer");
    await field.press("Enter");
    await page.locator(".transfer__status", { hasText: "The transfer failed (486); the call is still with you." }).waitFor();
    await button(page, "End call").waitFor();
    await field.fill("201");
    await button(page, "Transfer the call").click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("second line: Add call holds this call; Swap and End act on the call they name (issue 20)", async () => {
    const page = await open("mock=in-call");
    await button(page, "End call").waitFor();
    const add = button(page, "Add call");
    await add.focus();
    await page.keyboard.press("Enter");
    const field = page.getByLabel("Number to call (this call is put on hold)");
    await field.fill("202");
    await field.press("Enter");
    // The new call is on screen; the first waits on hold under "Other calls".
    const others = page.getByRole("region", { name: "Other calls" });
    await others.getByText("On hold").waitFor();
    await page.getByRole("heading", { name: /202/ }).waitFor();
    await page.getByText("Connected").first().waitFor();
    await check(page, "in-call-second-line");
    await others.getByRole("button", { name: /^Swap to peer/ }).click();
    await page.getByRole("heading", { name: /peer/ }).waitFor();
    await others.getByText("202").waitFor();
    await others.getByRole("button", { name: /^End call with 202/ }).click();
    await others.waitFor({ state: "detached" });
    await button(page, "End call").click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("conference: Merge calls joins the two, Split puts the older on hold again (issue 20)", async () => {
    const page = await open("mock=in-call");
    await button(page, "Add call").click();
    const field = page.getByLabel("Number to call (this call is put on hold)");
    await field.fill("202");
    await field.press("Enter");
    const others = page.getByRole("region", { name: "Other calls" });
    await others.getByText("On hold").waitFor();
    await page.getByText("Connected").first().waitFor();
    await button(page, "Merge calls").click();
    await page.getByText(/^Conference: you, this caller and (peer|202) all hear each other\.$/).waitFor();
    await check(page, "in-call-conference");
    await button(page, "Split").click();
    await others.getByText("On hold").waitFor();
    await button(page, "Merge calls").waitFor();
    await page.closeAll();
  });

  test("attended transfer: the call on hold is put through to the consulted call (issue 20)", async () => {
    const page = await open("mock=in-call");
    await button(page, "Add call").click();
    const field = page.getByLabel("Number to call (this call is put on hold)");
    await field.fill("202");
    await field.press("Enter");
    await page.getByRole("region", { name: "Other calls" }).getByText("On hold").waitFor();
    await page.getByText("Connected").first().waitFor();
    await button(page, "Transfer").click();
    const join = button(page, "Transfer peer to 202");
    await join.waitFor();
    await check(page, "in-call-attended-transfer");
    await join.click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("call waiting: the incoming screen over a call answers and holds", async () => {
    const page = await open("mock=in-call");
    await button(page, "End call").waitFor();
    await page.evaluate(() => window.lifelineMock.emit({
      event: "call", id: "c7", state: "incoming", direction: "in", remote: "sip:waiting@lifeline.lab",
      emergency: false, emergency_callback: false, reason: null,
    }));
    await button(page, "Answer and hold").waitFor();
    await button(page, "Reject").waitFor();
    await check(page, "incoming-call-waiting");
    await page.closeAll();
  });

  test("incoming call: Answer and Reject", async () => {
    const page = await open("mock=incoming");
    await button(page, "Answer").waitFor();
    await button(page, "Reject").waitFor();
    await check(page, "incoming");
    await button(page, "Reject").click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("in a call and while one rings an emergency number can be dialled; digits typed there are not tones (issue 15)", async () => {
    const page = await open("mock=in-call");
    await button(page, "End call").waitFor();
    await button(page, "Keypad").click();
    await page.getByLabel("Emergency number").pressSequentially("911");
    await page.getByText("Type or press keys to send tones.").waitFor();
    assert.equal(await page.getByText(/^Sent:/).count(), 0, "digits typed in the emergency field went out as tones");
    await check(page, "in-call-emergency-dial");
    await button(page, "Call emergency number").click();
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await page.closeAll();

    const ringing = await open("mock=incoming");
    await button(ringing, "Answer").waitFor();
    await ringing.getByLabel("Emergency number").fill("911");
    await check(ringing, "incoming-emergency-dial");
    await button(ringing, "Call emergency number").click();
    await ringing.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await ringing.closeAll();
  });

  test("emergency call: reduced panel with banner, location, devices and End call only", async () => {
    const page = await open("mock=emergency-active");
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await button(page, "End call").waitFor();
    await page.getByText("100 Main St, Floor 3, Room 301, Austin, TX, 78701, US").waitFor();
    await page.getByRole("heading", { name: "Audio devices" }).waitFor();
    for (const name of ["Mute", "Hold", "Keypad", "Transfer", "Call", "Settings"]) {
      assert.equal(await button(page, name).count(), 0, `${name} must not be on the reduced panel`);
    }
    await check(page, "emergency-active");
    await page.closeAll();
  });

  test("emergency call without a known location asks the agent to say where they are", async () => {
    const page = await open("mock=emergency-active&location=0");
    await page.getByText("If the call taker asks, tell them where you are").waitFor();
    assert.equal(await page.getByRole("heading", { name: "Location being sent" }).count(), 0);
    await check(page, "emergency-active-no-location");
    await page.closeAll();
  });

  test("callback lock: banner with countdown and explanation; presence change refused with the reason", async () => {
    const page = await open("mock=lock");
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    await page.getByText(/^(29:\d\d|30:00) left/).waitFor();
    await page.getByLabel("Status").selectOption("available");
    await page.getByText("Your status stays Do not disturb during emergency mode").waitFor();
    assert.equal(await page.getByLabel("Status").inputValue(), "do_not_disturb");
    await check(page, "lock");
    await page.closeAll();
  });

  test("callback: a distinct incoming screen with Answer", async () => {
    const page = await open("mock=callback");
    await page.getByRole("heading", { name: "Emergency services are calling back" }).waitFor();
    assert.equal(await button(page, "Reject").count(), 0);
    await check(page, "callback");
    await button(page, "Answer").click();
    await page.getByRole("heading", { name: "Emergency callback in progress" }).waitFor();
    await check(page, "callback-connected");
    await page.closeAll();
  });

  test("after the lock: the exit-or-remain dialog", async () => {
    const page = await open("mock=lock-over");
    await page.getByRole("dialog").waitFor();
    await button(page, "Remain in emergency mode").waitFor();
    await button(page, "Exit emergency mode").waitFor();
    await check(page, "exit-or-remain");
    await button(page, "Remain in emergency mode").click();
    await page.getByRole("heading", { name: "Emergency mode is on" }).waitFor();
    await check(page, "remain");
    await button(page, "Exit emergency mode").click();
    await page.getByRole("heading", { name: "Emergency mode is on" }).waitFor({ state: "detached" });
    await page.closeAll();
  });

  test("settings show the accepted agreement version and time", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Settings").click();
    await page.getByText(/Version 1 accepted on/).waitFor();
    await check(page, "settings");
    await button(page, "Back").click();
    await button(page, "Call").waitFor();
    await page.closeAll();
  });

  test("settings run the emergency self-test and show its result; not during the lock", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Settings").click();
    await page.getByText("No self-test has run yet.").waitFor();
    await button(page, "Run self-test").click();
    await page.getByText(/Last self-test passed on/).waitFor();
    await check(page, "settings-self-test");
    await page.closeAll();
    const locked = await open("mock=lock");
    await button(locked, "Settings").click();
    await locked.getByText("The self-test cannot run during emergency mode or a call.").waitFor();
    assert.equal(await button(locked, "Run self-test").isDisabled(), true);
    await locked.closeAll();
  });

  test("signing out during the callback lock warns and asks twice", async () => {
    const page = await open("mock=lock");
    await button(page, "Settings").click();
    await page.getByText("if you sign out, emergency services cannot call you back here").waitFor();
    await button(page, "Sign out").click();
    await button(page, "Sign out anyway").waitFor();
    await expectFocus(page, "Sign out anyway");
    await check(page, "settings-lock-sign-out");
    await button(page, "Sign out anyway").click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.closeAll();
  });

  test("engine errors appear as toasts that can be dismissed", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Call").waitFor();
    await page.evaluate(() => window.lifelineMock.emit({ event: "error", message: "Microphone not found: check that a microphone is connected." }));
    await page.getByRole("alert").getByText("Microphone not found").waitFor();
    await check(page, "error-toast");
    await button(page, "Dismiss").click();
    await page.getByRole("alert").waitFor({ state: "detached" });
    await page.closeAll();
  });
});

describe("the engine's emergency and call events", () => {
  test("an emergency call that fails: use another phone, with the address to read out", async () => {
    const page = await open("mock=signed-in&fail=1");
    await page.getByLabel("Number to call").fill("911");
    await button(page, "Call").click();
    await page.getByRole("heading", { name: "Use another phone now", level: 1 }).waitFor();
    await page.getByText("100 Main St, Floor 3, Room 301, Austin, TX, 78701, US").waitFor();
    await expectFocus(page, "Use another phone now");
    assert.match(await page.title(), /^Use another phone now · Lifeline$/);
    await check(page, "emergency-failed");
    await button(page, "Close").click();
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    await page.closeAll();
  });

  test("a blocked number says why and offers the local one, which the agent dials", async () => {
    const page = await open("mock=signed-in&mismatch=block");
    await page.getByLabel("Number to call").fill("999");
    await button(page, "Call").click();
    await page.getByText("999 is not an emergency number in US, where you are. The emergency number here is 911.").waitFor();
    await expectFocus(page, "Call 911");
    await check(page, "dial-blocked");
    await button(page, "Call 911").click();
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await page.closeAll();
  });

  test("no known address: the agent is asked, enters one, and it becomes the location", async () => {
    const page = await open("mock=location-missing");
    await page.getByRole("heading", { name: "Where are you?" }).waitFor();
    await check(page, "location-missing");
    await button(page, "Enter your address").click();
    await page.getByLabel("Country").fill("us");
    await button(page, "Save address").click();
    await page.getByRole("alert").getByText("need the city").waitFor();
    for (const [label, value] of [["House number", "100"], ["Street", "Main St"], ["Floor", "3"], ["Room", "301"], ["City", "Austin"], ["State or province", "tx"], ["Postal code", "78701"]]) {
      await page.getByLabel(label, { exact: true }).fill(value);
    }
    await check(page, "location-form");
    await button(page, "Save address").click();
    await page.getByRole("heading", { name: "Where are you?" }).waitFor({ state: "detached" });
    await button(page, "Settings").click();
    await page.getByText("100 Main St, Floor 3, Room 301, Austin, TX, 78701, US").waitFor();
    await page.getByText("From the address you entered").waitFor();
    await page.closeAll();
  });

  test("an unknown network asks whether the agent is still at the known address", async () => {
    const page = await open("mock=unknown-network");
    await page.getByRole("heading", { name: "New network: are you still here?" }).waitFor();
    await page.getByText("100 Main St, Floor 3, Room 301").waitFor();
    await check(page, "location-unknown-network");
    await page.closeAll();
  });

  test("an entry made on another network: 'are you still at …?', confirmed from the keyboard, or changed", async () => {
    let page = await open("mock=confirm-entry");
    await page.getByRole("heading", { name: "Are you still at this address?" }).waitFor();
    await page.getByText("100 Main St, Floor 3, Room 301").waitFor();
    await check(page, "location-confirm-entry");
    await page.evaluate(() => {
      const mock = window.lifelineMock;
      const send = mock.send.bind(mock);
      window.sentCommands = [];
      mock.send = (command) => {
        window.sentCommands.push(command);
        return send(command);
      };
    });
    await pressUntilFocus(page, "Tab", "Yes, I am still here");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Are you still at this address?" }).waitFor({ state: "detached" });
    // Confirming sends the same address back: the engine ties it to the network the machine is on now.
    const sent = await page.evaluate(() => window.sentCommands.filter((c) => c.cmd === "set_location"));
    assert.deepEqual(sent, [{ cmd: "set_location", address: { country: "US", A1: "TX", A3: "Austin", HNO: "100", RD: "Main", STS: "St", FLR: "3", ROOM: "301", PC: "78701" } }]);
    await page.closeAll();
    page = await open("mock=confirm-entry");
    // Dialling before answering is not held up; the emergency screen says the address is unconfirmed.
    await page.getByLabel("Number to call").fill("911");
    await button(page, "Call").click();
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await page.getByText("have not confirmed it here", { exact: false }).waitFor();
    await check(page, "emergency-active-unconfirmed-entry");
    await button(page, "End call").click();
    await page.closeAll();
    page = await open("mock=confirm-entry");
    await button(page, "Enter another address").click();
    await page.getByLabel("Street").waitFor();
    await check(page, "location-confirm-entry-change");
    await page.closeAll();
  });

  test("the organisation's policy: warnings as a banner, managed settings locked in Settings", async () => {
    const page = await open("mock=signed-in&managed=1&policywarn=1");
    await page.getByRole("heading", { name: "Some of your organisation's settings could not be used" }).waitFor();
    await page.getByText("notify.smtp.port").waitFor();
    await check(page, "policy-warnings");
    await button(page, "Settings").click();
    await page.getByRole("heading", { name: "Managed by your organisation" }).waitFor();
    await page.getByText("How long the line is kept free for the emergency callback").waitFor();
    assert.equal(await page.locator("#language").isDisabled(), true, "ui.locale is managed: the language is locked");
    await check(page, "settings-managed");
    await page.closeAll();
  });

  test("settings: hotkeys change from the next keys pressed, a clash is said, one the policy sets is locked", async () => {
    const page = await open("mock=signed-in&managed=1");
    await button(page, "Settings").click();
    await page.getByRole("heading", { name: "Hotkeys" }).waitFor();
    assert.equal(await page.locator("#hotkey-answer-keys").innerText(), "Ctrl+Shift+F9");
    // Managed: locked, no Change button.
    assert.equal(await page.locator("#hotkey-focus_dial-keys").innerText(), "Ctrl+Alt+Shift+N");
    assert.equal(await page.locator("#hotkey-focus_dial-change").count(), 0);
    await page.locator("#hotkey-focus_dial-managed").waitFor();
    await page.getByText("Hotkeys", { exact: true }).last().waitFor();
    await page.locator("#hotkey-answer-change").click();
    await page.locator("#hotkey-answer-capture").waitFor();
    await expectFocus(page, "Press the new keys (Esc cancels)");
    // A letter alone would take typing from other programs: asked for a modifier, still capturing.
    await page.keyboard.press("KeyQ");
    await page.locator("#hotkey-answer-bare").waitFor();
    await check(page, "settings-hotkeys-capture");
    await page.keyboard.press("Control+Shift+F8");
    await page.locator("#hotkey-answer-keys", { hasText: "Ctrl+Shift+F8" }).waitFor();
    await expectFocus(page, "Change");
    // Back to the default is offered once it differs.
    await button(page, "Use Ctrl+Shift+F9").waitFor();
    // Mute on answer's new keys: refused, said next to mute.
    await page.locator("#hotkey-mute-change").click();
    // The capture field takes focus once it is drawn; keys pressed before that go elsewhere.
    await page.locator("#hotkey-mute-capture").waitFor();
    await expectFocus(page, "Press the new keys (Esc cancels)");
    await page.keyboard.press("Control+Shift+F8");
    await page.getByText("Ctrl+Shift+F8 is already the hotkey for “Answer”. Choose another combination.").waitFor();
    assert.equal(await page.locator("#hotkey-mute-keys").innerText(), "Ctrl+Shift+F11");
    await page.locator("#hotkeys-title").scrollIntoViewIfNeeded();
    await check(page, "settings-hotkeys");
    await button(page, "Use Ctrl+Shift+F9").click();
    await page.locator("#hotkey-answer-keys", { hasText: "Ctrl+Shift+F9" }).waitFor();
    await page.closeAll();
  });

  test("in a call: audio state and codec, digits received, mute as the engine reports it", async () => {
    const page = await open("mock=in-call");
    await page.getByText("Audio connected, sound arriving (Opus)").waitFor();
    await page.evaluate(() => {
      for (const digit of ["4", "2", "#"]) window.lifelineMock.emit({ event: "dtmf", id: "c1", digit });
    });
    await page.getByText("Tones received: 42#").waitFor();
    await button(page, "Mute").click();
    await page.locator('button[aria-pressed="true"]', { hasText: "Mute" }).waitFor();
    await page.evaluate(() => window.lifelineMock.emit({ event: "call_muted", id: "c1", on: false }));
    await page.locator('button[aria-pressed="false"]', { hasText: "Mute" }).waitFor();
    await page.evaluate(() =>
      window.lifelineMock.emit({ event: "media", id: "c1", state: "failed", codec: null, setup_ms: null, reason: "the media path broke (ICE failed)" }),
    );
    await page.getByText("No audio on this call: the media path broke (ICE failed)").waitFor();
    await check(page, "in-call-media-failed");
    await page.closeAll();
  });

  test("during the lock: calls turned away are listed in the banner", async () => {
    const page = await open("mock=lock");
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    await page.evaluate(() =>
      window.lifelineMock.emit({
        event: "call_rejected",
        remote: "sip:peer3@lifeline.lab",
        code: 486,
        reason: "Busy Here (emergency callback line kept free)",
        cause: "emergency_line_protected",
      }),
    );
    await page.getByText("One call turned away meanwhile").waitFor();
    // Said by its cause, not the engine's SIP reason phrase.
    await page.getByRole("status").getByText("turned away: the line is kept free for the emergency services to call back (486)").waitFor();
    await page.getByText(/^peer3 at /).waitFor();
    await check(page, "lock-missed");
    await page.closeAll();
  });
});

describe("real networks: never a silent call (520 x 780)", () => {
  const WINDOW = { width: 520, height: 780 };
  const ADDRESS = "100 Main St, Floor 3, Room 301, Austin, TX, 78701, US";
  const media = (page, state, extra = {}) =>
    page.evaluate(
      ([state, extra]) => window.lifelineMock.emit({ event: "media", id: "c1", state, codec: null, setup_ms: null, reason: null, ...extra }),
      [state, extra],
    );
  /** Inside the window, not cut off: End call and the device selects must never be pushed out of view. */
  async function inView(page, locator, what) {
    const box = await locator.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= WINDOW.height, `${what} at ${JSON.stringify(box)}`);
    return box;
  }
  const alerts = (page, text) => page.getByRole("alert").filter({ hasText: text });

  test("ordinary call: no audio warns once, reconnecting is a quiet status, receiving clears both; the path for IT", async () => {
    const page = await open("mock=in-call&path=relay", { viewport: WINDOW });
    await page.getByText("Audio connected, sound arriving (Opus)").waitFor();
    await page.getByText("Audio: relay · TURN over TCP · turn.example.com:443").waitFor();
    await media(page, "no_audio", { reason: "no audio for 5 s" });
    const warning = "No audio is reaching you. The call is still connected; check your network or headset.";
    await alerts(page, warning).waitFor();
    // The engine may say it again: still one warning, not a pile (and no toast).
    await media(page, "no_audio");
    await page.waitForTimeout(100);
    assert.equal(await alerts(page, "No audio is reaching you").count(), 1);
    assert.equal(await page.locator(".toast").count(), 0);
    assert.equal(await page.getByText("Audio connected").count(), 0, "no 'connected' line beside the warning");
    await page.getByText("Audio: relay · TURN over TCP").waitFor();
    await inView(page, button(page, "End call"), "End call");
    await check(page, "in-call-no-audio");

    await media(page, "reconnecting");
    await page.getByRole("status").filter({ hasText: "Network changed — reconnecting audio…" }).waitFor();
    assert.equal(await alerts(page, "No audio").count(), 0, "reconnecting is not an alert");
    await check(page, "in-call-reconnecting");

    await media(page, "connected", { setup_ms: 640, path: { candidate: "srflx", protocol: "udp" } });
    await page.getByText("Audio: via NAT (srflx)").waitFor();
    await media(page, "receiving", { codec: "opus/48000/2" });
    await page.getByRole("status").filter({ hasText: "Audio connected, sound arriving (Opus)" }).waitFor();
    assert.equal(await page.getByText("Network changed").count(), 0);
    assert.equal(await alerts(page, "No audio").count(), 0);
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });

  test("ordinary call: a direct path reads 'direct (host)'", async () => {
    const page = await open("mock=in-call", { viewport: WINDOW });
    await page.getByText("Audio: direct (host)").waitFor();
    await page.closeAll();
  });

  test("emergency call without audio: stay on the line, read out the whole address, or use another phone", async () => {
    const page = await open("mock=emergency-active&audio=no-audio&path=relay", { viewport: WINDOW });
    const warning = alerts(page, "No audio is reaching you");
    await warning.waitFor();
    await warning.getByText("Stay on the line and read out your address").waitFor();
    await warning.getByText("Or call the emergency number from another phone.").waitFor();
    // The address, whole: in the warning (not twice on the panel) and not cut by the width.
    const address = warning.getByText(ADDRESS, { exact: true });
    assert.equal(await page.getByText(ADDRESS, { exact: true }).count(), 1);
    assert.ok(await address.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1), "address cut off");
    await inView(page, address, "the address");
    await page.getByRole("heading", { name: "Audio devices" }).waitFor();
    const end = await inView(page, button(page, "End call"), "End call");
    for (const label of ["Microphone", "Speaker"]) {
      const select = await inView(page, page.getByLabel(label, { exact: true }), label);
      const covered = select.y < end.y + end.height && end.y < select.y + select.height;
      assert.equal(covered, false, `End call covers the ${label} select`);
    }
    await page.getByText("Audio: relay · TURN over TCP").waitFor();
    await check(page, "emergency-no-audio");

    await media(page, "reconnecting");
    await page.getByRole("status").filter({ hasText: "Network changed — reconnecting audio… Stay on the line." }).waitFor();
    assert.equal(await alerts(page, "No audio").count(), 0);
    await page.getByRole("heading", { name: "Location being sent" }).waitFor();
    await inView(page, button(page, "End call"), "End call");
    await check(page, "emergency-reconnecting");

    await media(page, "receiving", { codec: "opus/48000/2" });
    await page.getByText("Audio connected, sound arriving (Opus)").waitFor();
    assert.equal(await page.getByText("Network changed").count(), 0);
    await page.getByText(ADDRESS, { exact: true }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });

  test("emergency call whose sound connection failed, no address known, dark theme", async () => {
    const page = await open("mock=emergency-active&audio=failed&location=0", { viewport: WINDOW, colorScheme: "dark" });
    const warning = alerts(page, "The connection for sound failed");
    await warning.waitFor();
    await warning.getByText("say where you are (building, floor and room)").waitFor();
    await inView(page, button(page, "End call"), "End call");
    await check(page, "emergency-media-failed-dark");
    await page.closeAll();
  });
});

describe("keyboard only: the whole emergency flow", () => {
  const tabTo = (page, text) => pressUntilFocus(page, "Tab", text, 15);

  test("911, End call, status refused, callback answered and ended, then Exit: keys only", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Call").waitFor();
    await page.keyboard.type("911");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    await page.getByText("Audio connected, sound arriving (Opus)").waitFor();
    await page.getByText("In use: Built-in microphone").waitFor();
    await tabTo(page, "End call");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    // The status select: focus it by keyboard and step to another status.
    // The number field has focus (once the softphone's effect has run); the status select is just before it.
    await page.waitForFunction(() => document.activeElement?.id === "number");
    for (let i = 0; i < 25 && !(await page.evaluate(() => document.activeElement?.id === "presence")); i++) await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "presence");
    await page.keyboard.press("ArrowUp");
    await page.getByText("Your status stays Do not disturb during emergency mode").waitFor();
    assert.equal(await page.getByLabel("Status").inputValue(), "do_not_disturb");
    // The dispatcher calls back (the far end's doing, not a key).
    await page.evaluate(() => window.lifelineMock.callBack());
    await page.getByRole("heading", { name: "Emergency services are calling back" }).waitFor();
    await expectFocus(page, "Answer");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Emergency callback in progress" }).waitFor();
    await tabTo(page, "End call");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    await page.evaluate(() => window.lifelineMock.endLock());
    await page.getByRole("dialog").waitFor();
    await expectFocus(page, "Remain in emergency mode");
    await page.keyboard.press("Tab");
    await expectFocus(page, "Exit emergency mode");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    assert.equal(await page.getByLabel("Status").inputValue(), "available");
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });
});

describe("toasts", () => {
  test("an error during an emergency call never covers End call", async () => {
    const page = await open("mock=emergency-active");
    await button(page, "End call").waitFor();
    await page.evaluate(() => window.lifelineMock.emit({ event: "error", message: "Location could not be refreshed: the last known address is sent." }));
    await page.getByRole("alert").filter({ hasText: "Location could not be refreshed" }).waitFor();
    const toast = await page.locator(".toast").boundingBox();
    const end = await button(page, "End call").boundingBox();
    assert.ok(toast && end, "both visible");
    const overlap = !(toast.y + toast.height <= end.y || end.y + end.height <= toast.y);
    assert.equal(overlap, false, "toast overlaps End call");
    assert.ok(end.y + end.height <= 720, "End call still inside the 720 px window");
    await check(page, "emergency-active-toast");
    await page.closeAll();
  });
});

describe("smallest window (360 x 560)", () => {
  test("End call stays on screen during an emergency call, and the softphone's Call is reachable", async () => {
    const page = await open("mock=emergency-active", { viewport: { width: 360, height: 560 } });
    await button(page, "End call").waitFor();
    const end = await button(page, "End call").boundingBox();
    assert.ok(end && end.y >= 0 && end.y + end.height <= 560, `End call at ${JSON.stringify(end)}`);
    await check(page, "emergency-active-small");
    await page.closeAll();
  });
});

describe("keyboard only", () => {
  test("dial 911, end the call, then answer the exit-or-remain question, all by keyboard", async () => {
    const page = await open("mock=signed-in");
    await button(page, "Call").waitFor();
    // The number field has focus when the softphone appears.
    await page.keyboard.type("911");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    // Focus is on the banner heading; Tab reaches End call.
    await pressUntilFocus(page, "Tab", "End call", 10);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    // Pretend the lock is over now.
    await page.evaluate(() => window.lifelineMock.endLock());
    await page.getByRole("dialog").waitFor();
    await expectFocus(page, "Remain in emergency mode");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor();
    await expectFocus(page, "Remain in emergency mode");
    await page.keyboard.press("Tab");
    await expectFocus(page, "Exit emergency mode");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByLabel("Status").waitFor();
    assert.equal(await page.getByLabel("Status").inputValue(), "available");
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });
});

describe("keyboard only: before the agreement", () => {
  test("with a registered line, Tab to the emergency number, type 911, Enter: the emergency panel", async () => {
    const page = await open("mock=agreement-registered");
    await page.getByLabel("Emergency number").waitFor();
    let guard = 0;
    while (!(await page.evaluate(() => document.activeElement?.id === "emergency-number")) && guard++ < 10) {
      await page.keyboard.press("Tab");
    }
    await page.keyboard.type("911");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Emergency call in progress" }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });
});

describe("keyboard only: callback", () => {
  test("the callback screen focuses Answer, so Enter answers it", async () => {
    const page = await open("mock=callback");
    await page.getByRole("heading", { name: "Emergency services are calling back" }).waitFor();
    await expectFocus(page, "Answer");
    assert.match(await page.title(), /^Emergency services are calling back · Lifeline$/);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Emergency callback in progress" }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.closeAll();
  });
});

describe("languages and themes", () => {
  // Every offered language on the screens that matter most in an emergency, light and dark: axe-core clean,
  // and no text wider than its box, read from the layout (a clipped End call button or address is a failure
  // nobody would see in a screenshot review of twelve languages).
  const LANGUAGES = [
    ["en-US", "en"], ["fr-FR", "fr"], ["fr-CA", "fr-CA"], ["de-DE", "de"], ["it-IT", "it"], ["es-US", "es"],
    ["pt-BR", "pt-BR"], ["th-TH", "th"], ["da-DK", "da"], ["sl-SI", "sl"], ["ms-MY", "ms"], ["fil-PH", "fil"],
  ];
  // Every mock screen, and Settings, in light and in dark.
  const ALL_SCREENS = [
    "agreement", "agreement-registered", "sign-in", "sign-in-failed", "signed-in", "incoming", "in-call",
    "emergency-active", "lock", "lock-over", "remain", "callback", "callback-connected", "emergency-failed",
    "location-missing", "unknown-network", "confirm-entry", "settings",
  ];
  const screensByTheme = () => ({ light: ALL_SCREENS, dark: ALL_SCREENS });

  /** Elements whose text is wider than their own box, or than the box of a button or field holding them. */
  async function overflowing(page) {
    return page.evaluate(() => {
      const found = [];
      const visible = (el) => {
        const r = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        // Screen-reader-only text (1 px, clipped on purpose) is not laid out for the eye.
        return r.width > 1 && r.height > 1 && cs.visibility !== "hidden" && cs.display !== "none" && !el.closest(".visually-hidden");
      };
      const name = (el) => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ").join(".") : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
      if (document.documentElement.scrollWidth > window.innerWidth + 1) {
        found.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
      }
      for (const el of document.body.querySelectorAll("*")) {
        if (!visible(el)) continue;
        const cs = getComputedStyle(el);
        const clips = cs.overflowX !== "visible" || cs.textOverflow === "ellipsis";
        if (clips && el.scrollWidth > el.clientWidth + 1 && el.tagName !== "TEXTAREA") {
          found.push(`${name(el)} clipped: text ${el.scrollWidth}px in ${el.clientWidth}px`);
        }
      }
      for (const box of document.body.querySelectorAll("button, [role=button], a, label, h1, h2, h3")) {
        if (!visible(box)) continue;
        const outer = box.getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(box);
        const inner = range.getBoundingClientRect();
        if (inner.width > 0 && (inner.left < outer.left - 1 || inner.right > outer.right + 1)) {
          found.push(`${name(box)} text ${Math.round(inner.width)}px spills out of its ${Math.round(outer.width)}px box`);
        }
      }
      return found;
    });
  }

  /** Characters of the page's text that the browser has no font for (drawn as the missing-glyph box). */
  async function missingGlyphs(page) {
    return page.evaluate(() => {
      const chars = [...new Set(document.body.innerText)].filter((c) => !/[\s\p{Cf}\p{Cc}]/u.test(c) && c.codePointAt(0) > 0x7f);
      const canvas = document.createElement("canvas");
      canvas.width = 48;
      canvas.height = 48;
      const g = canvas.getContext("2d", { willReadFrequently: true });
      g.font = `32px ${getComputedStyle(document.body).fontFamily}`;
      const draw = (c) => {
        g.clearRect(0, 0, 48, 48);
        g.fillText(c, 4, 36);
        return g.getImageData(0, 0, 48, 48).data.join(",");
      };
      const missing = draw("\u{10FFFD}");
      return chars.filter((c) => draw(c) === missing);
    });
  }

  for (const [browserLocale, lang] of LANGUAGES) {
    test(`${lang}: every screen fits, light and dark, axe-core clean`, async () => {
      for (const [theme, screens] of Object.entries(screensByTheme())) {
        for (const screen of screens) {
          const page = await open(`mock=${screen === "settings" ? "signed-in" : screen}`, { locale: browserLocale, colorScheme: theme });
          await page.locator("main, [role=main], h1").first().waitFor();
          if (screen === "settings") {
            await page.locator(".header__row .button--quiet").click();
            await page.locator("h1, h2").first().waitFor();
          }
          await page.waitForTimeout(150);
          if (!screen.startsWith("agreement")) {
            assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${screen}: UI language`);
          }
          await axe(page);
          await page.screenshot({ path: resolve(SCREENS, `lang-${lang}-${screen}-${theme}.png`) });
          assert.deepEqual(await overflowing(page), [], `${lang} ${screen} (${theme}): text outside its box`);
          assert.deepEqual(await missingGlyphs(page), [], `${lang} ${screen}: characters without a font (scripts/apt-packages.txt)`);
          assert.deepEqual(page.problems, [], `problems on ${lang} ${screen} (${theme})`);
          await page.closeAll();
        }
      }
    });
  }

  test("French agreement from the browser language", async () => {
    const page = await open("mock=agreement&lang=fr", { locale: "fr-FR" });
    await button(page, "Accepter").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
    // fr.ftl says "-reviewed = no": the agreement says so, in French.
    await page.getByText("Cette traduction a été faite par une machine et n'a pas été relue par un locuteur natif.").waitFor();
    await check(page, "agreement-fr");
    await page.closeAll();
  });

  test("Portuguese (Brazil) and Thai from the browser language; Canadian French takes its own words and French for the rest", async () => {
    let page = await open("mock=signed-in", { locale: "pt-BR" });
    await button(page, "Ligar").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "pt-BR");
    await check(page, "softphone-pt-BR");
    await page.closeAll();
    // Thai: the platform's Thai font, the layout checked by check() like every screen.
    page = await open("mock=signed-in", { locale: "th-TH" });
    await button(page, "โทร").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "th");
    await check(page, "softphone-th");
    await page.closeAll();
    page = await open("mock=signed-in", { locale: "fr-CA" });
    await button(page, "Appeler").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "fr-CA");
    await page.closeAll();
  });

  test("German agreement follows the engine's agreement locale", async () => {
    const page = await open("mock=agreement&lang=de", { locale: "en-US" });
    await button(page, "Akzeptieren").waitFor();
    await check(page, "agreement-de");
    await page.closeAll();
  });

  test("French: the engine's codes in French (an error, the end of a call); an unknown code in the engine's words", async () => {
    const page = await open("mock=signed-in&lang=fr", { locale: "fr-FR" });
    await button(page, "Appeler").waitFor();
    // An error the mock engine sends as the real one does (code no_call, command hangup, English message).
    await page.evaluate(() => window.lifelineMock.send({ cmd: "hangup" }));
    await page.getByRole("alert").getByText("Il n'y a pas d'appel à terminer.").waitFor();
    assert.equal(await page.getByText("There is no call to end.").count(), 0, "not the engine's English");
    await check(page, "error-toast-fr");
    await button(page, "Fermer").click();
    await page.getByRole("alert").waitFor({ state: "detached" });
    // A code this UI has no words for (a newer engine): the engine's own text.
    await page.evaluate(() => window.lifelineMock.emit({ event: "error", message: "Something new went wrong.", code: "quantum_flux", params: {} }));
    await page.getByRole("alert").getByText("Something new went wrong.").waitFor();
    await button(page, "Fermer").click();
    // The call-ended line: hung up here, in French.
    await page.getByLabel("Numéro à appeler").fill("peer");
    await button(page, "Appeler").click();
    await button(page, "Raccrocher").waitFor();
    await page.locator(".timer", { hasText: /\d:\d\d/ }).waitFor();
    await button(page, "Raccrocher").click();
    await page.locator(".last-call", { hasText: "Le dernier appel avec peer est terminé : vous avez raccroché" }).waitFor();
    await check(page, "last-call-fr");
    await page.closeAll();
  });

  test("French: a wrong password on the sign-in screen and a blocked number say what to do, in French", async () => {
    let page = await open("mock=sign-in-failed&lang=fr", { locale: "fr-FR" });
    await page
      .getByText("Échec de l'enregistrement : le serveur a refusé le nom d'utilisateur ou le mot de passe. Vérifiez-les et reconnectez-vous.")
      .waitFor();
    assert.equal(await page.getByText(/wrong password/).count(), 0, "not the engine's English");
    await check(page, "sign-in-failed-fr");
    // A registration failure the engine retries by itself: the translated cause, and that Lifeline keeps trying.
    await page.evaluate(() =>
      window.lifelineMock.emit({
        event: "registration",
        state: "failed",
        reason: "TLS certificate not trusted: UnknownIssuer; ask IT to install the server's certificate authority; retrying",
        code: "tls_not_trusted",
        params: { detail: "UnknownIssuer" },
        retrying: true,
      }),
    );
    await page.getByText(/le certificat de sécurité du serveur n'est pas reconnu \(UnknownIssuer\).*Lifeline réessaie\./).waitFor();
    await page.closeAll();
    page = await open("mock=signed-in&mismatch=block&lang=fr", { locale: "fr-FR" });
    await page.getByLabel("Numéro à appeler").fill("999");
    await button(page, "Appeler").click();
    await page.getByText("Le 999 n'est pas un numéro d'urgence là où vous êtes (US). Ici, le numéro d'urgence est le 911.").waitFor();
    await check(page, "dial-blocked-fr");
    await page.closeAll();
  });

  test("German softphone and emergency panel", async () => {
    let page = await open("mock=signed-in", { locale: "de-DE" });
    await button(page, "Anrufen").waitFor();
    await check(page, "softphone-de");
    await page.closeAll();
    page = await open("mock=emergency-active", { locale: "de-DE" });
    await page.getByRole("heading", { name: "Notruf läuft" }).waitFor();
    await check(page, "emergency-active-de");
    await page.closeAll();
  });

  test("dark theme passes contrast checks too", async () => {
    let page = await open("mock=signed-in", { colorScheme: "dark" });
    await button(page, "Call").waitFor();
    await check(page, "softphone-dark");
    await page.closeAll();
    page = await open("mock=lock", { colorScheme: "dark" });
    await page.getByRole("heading", { name: "Line kept free for the emergency callback" }).waitFor();
    await check(page, "lock-dark");
    await page.closeAll();
  });

  test("dark theme: use another phone, a blocked dial and the policy banner pass contrast checks", async () => {
    let page = await open("mock=emergency-failed", { colorScheme: "dark" });
    await page.getByRole("heading", { name: "Use another phone now" }).waitFor();
    await check(page, "emergency-failed-dark");
    await page.closeAll();
    page = await open("mock=signed-in&mismatch=block&managed=1&policywarn=1", { colorScheme: "dark" });
    await page.getByLabel("Number to call").fill("112");
    await button(page, "Call").click();
    await button(page, "Call 911").waitFor();
    await check(page, "dial-blocked-dark");
    await page.closeAll();
  });

  test("reduced motion turns animations off", async () => {
    const page = await open("mock=signed-in", { reducedMotion: "reduce" });
    await button(page, "Call").waitFor();
    const transition = await button(page, "Call").evaluate((el) => getComputedStyle(el).transitionDuration);
    assert.equal(transition, "0s");
    await page.closeAll();
  });
});
