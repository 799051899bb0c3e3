#!/usr/bin/env node
// Browser WebRTC peer for the Lifeline lab.
//
// Starts Debian's Chromium headless (playwright-core), loads a page running a
// JsSIP user agent (page.js, bundled on the fly with esbuild, served from a tiny
// http server on 127.0.0.1) and is driven by JSON lines:
//   stdin : {"cmd":"register","ws":"wss://127.0.0.1:4443","uri":"sip:peer@lifeline.lab","password":"peer-secret"}
//           {"cmd":"call","target":"sip:911@lifeline.lab","headers":["X-Foo: bar"]}
//           {"cmd":"answer"} {"cmd":"hangup"} ({"cmd":"hangup","status":486} rejects a ringing call)
//           {"cmd":"send_dtmf","digits":"12#"} ("transport":"rfc2833" for RTP events; default SIP INFO)
//           {"cmd":"hold"} {"cmd":"unhold"} {"cmd":"stats"} {"cmd":"unregister"} {"cmd":"quit"}
//           {"cmd":"set_ice","ice_servers":[{"urls":"turn:198.19.0.11:3478?transport=tcp","username":"lab","credential":"lab-secret"}],"policy":"relay"}
//           (any command may carry "id"; its answer echoes it)
//   stdout: events, one JSON object a line: ready, registered, registration_failed,
//           incoming, progress, accepted, confirmed, ended, dtmf, hold, unhold,
//           plus for each command {"event":"ok","cmd":...} (stats: {"event":"stats",...})
//           or {"event":"error","cmd":...,"message":...}.
// stderr: diagnostics (browser console lines are prefixed "[page]").
//
// Options: --audio FILE.wav (the fake microphone; default $LIFELINE_LAB_DIR/gen/peer-tone.wav)
//          --chromium PATH (default /usr/bin/chromium)
import { createServer } from 'node:http';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const labDir = process.env.LIFELINE_LAB_DIR || '/tmp/lifeline-lab';
const { values: opts } = parseArgs({
  options: {
    audio: { type: 'string', default: join(labDir, 'gen', 'peer-tone.wav') },
    chromium: { type: 'string', default: process.env.LIFELINE_CHROMIUM || '/usr/bin/chromium' },
  },
});

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
function diag(...args) {
  process.stderr.write(`[peer] ${args.join(' ')}\n`);
}

async function bundlePage() {
  const result = await esbuild.build({
    entryPoints: [join(here, 'page.js')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

function serve(bundle) {
  const html = '<!doctype html><meta charset="utf-8"><title>lifeline lab peer</title><script src="/bundle.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

let browser = null;
let server = null;
let quitting = false;

async function shutdown(code) {
  if (quitting) return;
  quitting = true;
  try { if (browser) await browser.close(); } catch (e) { diag('closing browser:', e.message); }
  try { if (server) server.close(); } catch { /* already closed */ }
  process.exit(code);
}

async function main() {
  const bundle = await bundlePage();
  server = await serve(bundle);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${opts.audio}`,
    '--ignore-certificate-errors',
    '--autoplay-policy=no-user-gesture-required',
  ];
  // Playwright gives launch() a fresh temporary --user-data-dir of its own
  // (it refuses the flag in args) and removes it on close.
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    args,
    ignoreDefaultArgs: ['--mute-audio'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('console', (msg) => process.stderr.write(`[page] ${msg.type()}: ${msg.text()}\n`));
  page.on('pageerror', (err) => process.stderr.write(`[page] uncaught: ${err.message}\n`));
  page.on('crash', () => { out({ event: 'error', message: 'browser page crashed' }); shutdown(1); });
  let pageReady;
  const ready = new Promise((resolve) => { pageReady = resolve; });
  await page.exposeFunction('labEmit', (ev) => {
    if (ev && ev.event === 'page_ready') { pageReady(); return; }
    out(ev);
  });
  await page.goto(url);
  await ready;
  out({ event: 'ready', url, chromium: browser.version() });

  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      out({ event: 'error', message: `not JSON: ${e.message}` });
      continue;
    }
    const name = cmd.cmd;
    const id = cmd.id;
    if (name === 'quit') {
      out({ event: 'ok', cmd: 'quit', id });
      await shutdown(0);
      return;
    }
    try {
      const result = await page.evaluate(async ([n, c]) => {
        const fn = window.lab[n];
        if (!fn) throw new Error(`unknown command '${n}'`);
        return await fn(c);
      }, [name, cmd]);
      if (name === 'stats') out({ event: 'stats', id, ...result });
      else out({ event: 'ok', cmd: name, id, ...result });
    } catch (e) {
      out({ event: 'error', cmd: name, id, message: String(e.message || e).split('\n')[0] });
    }
  }
  // stdin closed: the test is gone
  await shutdown(0);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
main().catch((e) => {
  out({ event: 'error', message: `peer failed to start: ${e.message}` });
  diag(e.stack || e);
  shutdown(1);
});
