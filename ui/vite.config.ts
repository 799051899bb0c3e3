/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// No framework plugin: esbuild compiles JSX for Preact directly (automatic runtime).
export default defineConfig({
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
