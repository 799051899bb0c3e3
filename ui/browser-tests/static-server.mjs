// A tiny static server for the built UI (ui/dist) on 127.0.0.1, with the same CSP as the Tauri app so
// that the browser tests also prove the bundle runs under it. It also serves axe-core from node_modules.

import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
export const DIST = resolve(here, "../dist");
const AXE = resolve(here, "../node_modules/axe-core/axe.min.js");

// The app's own CSP, read from src-tauri/tauri.conf.json so the tests follow any change the shell makes.
// A browser knows no `ipc:` / `http://ipc.localhost` origins: those become 'self'.
const FALLBACK_CSP = {
  "default-src": "'self'",
  "script-src": "'self'",
  "style-src": "'self'",
  "connect-src": "'self'",
  "object-src": "'none'",
  "base-uri": "'none'",
};

function appCsp() {
  let directives = FALLBACK_CSP;
  try {
    const conf = JSON.parse(readFileSync(resolve(here, "../../src-tauri/tauri.conf.json"), "utf8"));
    const csp = conf?.app?.security?.csp;
    if (csp && typeof csp === "object") directives = csp;
    else if (typeof csp === "string") return csp;
  } catch {
    // No shell config next to this UI (e.g. the package on its own): test against the strict fallback.
  }
  return Object.entries(directives)
    .map(([name, value]) => {
      const sources = String(value)
        .split(/\s+/)
        .filter((v) => v !== "" && v !== "ipc:" && !v.includes("ipc.localhost") && v !== "asset:");
      if (name === "connect-src" && !sources.includes("'self'")) sources.push("'self'");
      return `${name} ${sources.join(" ") || "'none'"}`;
    })
    .join("; ");
}

export const CSP = appCsp();

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".wav": "audio/wav",
};

/**
 * Serves dist/ on 127.0.0.1. `routes(req, res, url)` may answer a request first (return true when it did).
 */
export async function startServer({ port = 0, routes, freezePrototype = false } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (routes && (await routes(req, res, url))) return;
      let file;
      if (url.pathname === "/__test__/axe.js") file = AXE;
      else if (url.pathname === "/__test__/freeze.js") {
        // What Tauri's `freezePrototype: true` does, for browsers driven without an init-script hook.
        res.writeHead(200, { "content-type": "text/javascript", "content-security-policy": CSP });
        res.end("Object.freeze(Object.prototype);\n");
        return;
      }
      else {
        const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, "");
        file = join(DIST, rel === "" ? "index.html" : rel);
        if (!file.startsWith(DIST)) throw Object.assign(new Error("outside dist"), { code: "ENOENT" });
      }
      let body = await readFile(file);
      if (freezePrototype && file.endsWith("index.html")) {
        // A classic script runs before the (deferred) module bundle.
        body = Buffer.from(body.toString().replace("<head>", '<head>\n    <script src="/__test__/freeze.js"></script>'));
      }
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-security-policy": CSP,
        "cache-control": "no-store",
      });
      res.end(body);
    } catch (err) {
      res.writeHead(err?.code === "ENOENT" || err?.code === "EISDIR" ? 404 : 500, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", ok);
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
