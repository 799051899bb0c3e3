#!/usr/bin/env node
// Runs the built UI in a normal browser against the REAL engine, without Tauri: spawns `lifeline-headless`
// and serves ui/dist plus two routes on 127.0.0.1 (same origin, so the app's CSP holds):
//   GET  /__engine/events   Server-Sent Events, one engine event (JSON) per message; asks for a snapshot
//   POST /__engine/command  one Command (JSON) written to the engine's stdin
// Open http://127.0.0.1:<port>/?engine=bridge .
//
// Usage: LIFELINE_HEADLESS=/path/to/lifeline-headless node dev/headless-bridge.mjs [--port 5174] [-- engine args]
// Programmatic: `startBridge({ binary, args, port })` resolves to { url, close }.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startServer } from "../browser-tests/static-server.mjs";

const MAX_COMMAND_BYTES = 64 * 1024;

export async function startBridge({ binary, args = [], port = 0, onStderr } = {}) {
  if (!binary) throw new Error("no engine binary: set LIFELINE_HEADLESS to the path of lifeline-headless");
  const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise((ok) => child.once("exit", (code, signal) => ok({ code, signal })));
  child.stderr.on("data", (chunk) => onStderr?.(chunk.toString()));
  const clients = new Set();
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.trim() === "") return;
    for (const res of clients) res.write(`data: ${line}\n\n`);
  });
  const send = (command) => child.stdin.write(`${JSON.stringify(command)}\n`);

  const server = await startServer({
    port,
    routes: async (req, res, url) => {
      if (url.pathname === "/__engine/events" && req.method === "GET") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        res.write(": connected\n\n");
        clients.add(res);
        req.on("close", () => clients.delete(res));
        send({ cmd: "snapshot" });
        return true;
      }
      if (url.pathname === "/__engine/command" && req.method === "POST") {
        let body = "";
        for await (const chunk of req) {
          body += chunk;
          if (body.length > MAX_COMMAND_BYTES) break;
        }
        let command;
        try {
          command = JSON.parse(body);
        } catch {
          res.writeHead(400, { "content-type": "text/plain" }).end("command is not JSON");
          return true;
        }
        if (typeof command?.cmd !== "string") {
          res.writeHead(400, { "content-type": "text/plain" }).end("command has no cmd");
          return true;
        }
        send(command);
        res.writeHead(204).end();
        return true;
      }
      return false;
    },
  });

  return {
    url: server.url,
    async close() {
      for (const res of clients) res.end();
      clients.clear();
      if (child.exitCode === null) {
        send({ cmd: "quit" });
        const timer = setTimeout(() => child.kill("SIGTERM"), 3000);
        await exited;
        clearTimeout(timer);
      }
      await server.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf("--");
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const engineArgs = dash === -1 ? [] : argv.slice(dash + 1);
  const portAt = own.indexOf("--port");
  const port = portAt === -1 ? 5174 : Number(own[portAt + 1]);
  const bridge = await startBridge({
    binary: process.env.LIFELINE_HEADLESS,
    args: engineArgs,
    port,
    onStderr: (text) => process.stderr.write(text),
  });
  console.log(`Lifeline UI on the real engine: ${bridge.url}?engine=bridge  (Ctrl+C stops both)`);
  const stop = async () => {
    await bridge.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
