// Builds the web UI into dist/ui, which `sluice dev` and `sluice server` serve (src/server/static-ui.ts).
// `npx vite --config ui/vite.config.ts` serves it with hot reload against a server on port 3000.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000" } },
});
