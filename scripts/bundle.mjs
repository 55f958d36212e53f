#!/usr/bin/env node
// Bundles dist/index.js (the package's API), dist/cli/main.js (the CLI) and the daemon's evaluation
// thread (dist/daemon/evaluation-thread-entry.js) and the multiprocess executor's step processes
// (dist/instance/step-process-entry.js) with their dependencies
// into a few ESM files with shared chunks. Node 20 has no compile cache, and loading kysely's
// hundreds of small modules cost 200 ms of every command's start; a run worker pays that per run.
// Kept external: native or compiler packages (better-sqlite3, esbuild), zod, which user code
// imports itself, and the packages of the integrations (@duckdb/node-api, pg), which the project
// installs only when it uses them. Each integration is an entry of its own (`sluice/duckdb`...),
// sharing chunks with the main API, so both see the same classes. Type declarations come from `tsc --emitDeclarationOnly`.
import { build } from "esbuild";

await build({
  entryPoints: {
    index: "src/index.ts",
    "cli/main": "src/cli/main.ts",
    "integrations/duckdb": "src/integrations/duckdb.ts",
    "integrations/postgres": "src/integrations/postgres.ts",
    "integrations/http": "src/integrations/http.ts",
    // The code of the daemon's evaluation threads (schedule and sensor functions), started by path.
    "daemon/evaluation-thread-entry": "src/daemon/evaluation-thread-entry.ts",
    // The code of the multiprocess executor's step processes, started by path.
    "instance/step-process-entry": "src/instance/step-process-entry.ts",
  },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  chunkNames: "chunks/[name]-[hash]",
  external: ["better-sqlite3", "esbuild", "zod", "zod/*", "@duckdb/node-api", "pg"],
  // Bundled CommonJS dependencies (commander) call require() for Node built-ins.
  banner: { js: 'import { createRequire as __sluiceRequire } from "node:module"; const require = __sluiceRequire(import.meta.url);' },
  logLevel: "warning",
});
