// The same bundle in WebKitGTK, the engine Tauri uses on Linux (and close to macOS's WKWebView): MiniBrowser
// driven by WebKitWebDriver under a private Xvfb display, over plain WebDriver HTTP (no extra packages).
// Skipped when WebKitWebDriver, MiniBrowser or Xvfb is missing. Screenshots: tests/artifacts/screens/webkit-*.png

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./static-server.mjs";

const DRIVER = "/usr/bin/WebKitWebDriver";
const XVFB = "/usr/bin/Xvfb";
const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const missing = [DRIVER, XVFB, MINIBROWSER].filter((f) => !existsSync(f));
const SKIP = missing.length > 0 && `not installed: ${missing.join(", ")}`;
const SCREENS = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../tests/artifacts/screens");

let server;
let xvfb;
let driver;
let base;
let session;

const children = [];
function start(cmd, args, env) {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  child.stderr.on("data", () => {});
  const exited = new Promise((ok) => child.once("exit", ok));
  children.push({ child, exited });
  return child;
}

async function freePort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

function hasChildren(pid) {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).trim() !== "";
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

const run = (script, args = []) => wd("POST", `/session/${session}/execute/sync`, { script, args });

async function until(what, script, args = [], timeoutMs = 8000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await run(script, args);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const byText = (tag, text) =>
  until(`<${tag}> "${text}"`, `return [...document.querySelectorAll(arguments[0])].find((e) => e.textContent.trim() === arguments[1]) || null;`, [tag, text]);

async function click(tag, text) {
  const el = await byText(tag, text);
  await wd("POST", `/session/${session}/element/${Object.values(el)[0]}/click`, {});
}

async function screenshot(name) {
  const png = await wd("GET", `/session/${session}/screenshot`);
  await writeFile(resolve(SCREENS, `webkit-${name}.png`), Buffer.from(png, "base64"));
}

describe("WebKitGTK", { skip: SKIP }, () => {
  before(async () => {
    await mkdir(SCREENS, { recursive: true });
    server = await startServer({ freezePrototype: true });
    const display = `:${90 + Math.floor(Math.random() * 200)}`;
    xvfb = start(XVFB, [display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"]);
    const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    const port = await freePort();
    driver = start(DRIVER, [`--port=${port}`, "--host=127.0.0.1"], { DISPLAY: display });
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      try {
        await wd("GET", "/status");
        break;
      } catch {
        await sleep(100);
      }
    }
    const created = await wd("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "MiniBrowser",
          "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
        },
      },
    });
    session = created.sessionId;
    await wd("POST", `/session/${session}/window/rect`, { width: 420, height: 720 }).catch(() => {});
  });

  after(async () => {
    if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
    // Let the driver reap its MiniBrowser before it goes (PID 1 here does not reap orphans).
    for (let i = 0; i < 30 && driver && hasChildren(driver.pid); i++) await sleep(100);
    for (const { child, exited } of children.reverse()) {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    }
    await server?.close();
  });

  test("renders the agreement under the app's CSP with a frozen Object.prototype", async () => {
    await wd("POST", `/session/${session}/url`, { url: `${server.url}?mock=agreement` });
    await byText("button", "Accept");
    assert.equal(await run("return Object.isFrozen(Object.prototype);"), true);
    await screenshot("agreement");
  });

  test("dial 911, End call, then the modal exit-or-remain dialog", async () => {
    await wd("POST", `/session/${session}/url`, { url: `${server.url}?mock=signed-in` });
    const field = await until("number field", "return document.getElementById('number');");
    await wd("POST", `/session/${session}/element/${Object.values(field)[0]}/value`, { text: "911" });
    await click("button", "Call");
    await byText("h1", "Emergency call in progress");
    await screenshot("emergency-active");
    await click("button", "End call");
    await byText("h2", "Line kept free for the emergency callback");
    await run("window.lifelineMock.endLock();");
    await byText("button", "Remain in emergency mode");
    assert.equal(await run("return document.querySelector('dialog').matches(':modal');"), true);
    // On top of everything: hit-testing the dialog's centre lands inside it.
    const onTop = await run(
      "const d = document.querySelector('dialog'); const r = d.getBoundingClientRect();" +
        "const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);" +
        "return { inside: d.contains(hit), rect: [r.left, r.top, r.width, r.height] };",
    );
    assert.equal(onTop.inside, true, `dialog not on top: ${JSON.stringify(onTop)}`);
    await sleep(300);
    await screenshot("exit-or-remain");
    await click("button", "Exit emergency mode");
    await until("dialog closed", "return document.querySelector('dialog') === null;");
  });
});
