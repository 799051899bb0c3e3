/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";

/**
 * The app runs with Tauri's `freezePrototype: true` (Object.prototype frozen). Preact copies vnodes with a
 * plain `for..in` assignment loop, and a vnode carries an own `constructor: undefined`; assigning
 * `constructor` onto a fresh `{}` then throws, because the inherited Object.prototype.constructor is
 * read-only. Rewrite that one helper to define properties instead. The build fails if the helper is not
 * found (e.g. after a Preact upgrade), and the browser tests run with a frozen prototype to prove it works.
 */
function preactFrozenPrototype(): Plugin {
  const helper = /function (\w+)\((\w+),(\w+)\)\{for\(var (\w+) in \3\)\2\[\4\]=\3\[\4\];return \2\}/;
  return {
    name: "lifeline:preact-frozen-prototype",
    enforce: "pre",
    transform(code, id) {
      if (!/[\\/]preact[\\/]dist[\\/]preact\.(mjs|module\.js|js)$/.test(id)) return null;
      if (!helper.test(code)) this.error(`preact's assign helper not found in ${id}: re-check the frozen-prototype fix`);
      return {
        code: code.replace(
          helper,
          "function $1($2,$3){for(var $4 in $3)Object.defineProperty($2,$4,{value:$3[$4],writable:!0,enumerable:!0,configurable:!0});return $2}",
        ),
        map: null,
      };
    },
  };
}

// No framework plugin: esbuild compiles JSX for Preact directly (automatic runtime).
export default defineConfig({
  plugins: [preactFrozenPrototype()],
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  // Tauri loads the bundle from its own protocol: relative asset URLs work there and in `vite preview`.
  base: "./",
  clearScreen: false,
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    // The mock engine reads the real agreement texts from ../assets.
    fs: { allow: [".", "../assets"] },
  },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: ["es2021", "safari15"],
    // Keep everything in files: the app's CSP forbids data: and inline scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
