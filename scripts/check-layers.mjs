#!/usr/bin/env node
// Fails when a file under src/ imports a layer below its own (ARCHITECTURE.md, "Layers"):
// each layer may import only itself and the layers listed before it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Layers in order: a layer may import itself and those before it. */
export const LAYERS = ["definitions", "storage", "execution", "instance", "daemon", "server", "cli"];
/** Integrations are built on the public API only (src/index.ts). */
const PUBLIC_ONLY = ["integrations"];

const IMPORT_PATTERN = /(?:^|\n)\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listTs(full));
    else if (/\.(m|c)?tsx?$/.test(name)) out.push(full);
  }
  return out;
}

function layerOf(srcDir, file) {
  const rel = path.relative(srcDir, file).split(path.sep);
  return rel.length > 1 ? rel[0] : null; // null: a file at src/ root (index.ts) may import anything
}

/** Returns every violation in the tree at srcDir as "file: message" strings. */
export function checkLayers(srcDir) {
  const problems = [];
  for (const file of listTs(srcDir)) {
    const from = layerOf(srcDir, file);
    if (from === null) continue;
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT_PATTERN)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec || !spec.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(srcDir + path.sep)) continue;
      const to = layerOf(srcDir, target);
      const where = path.relative(process.cwd(), file);
      if (PUBLIC_ONLY.includes(from)) {
        if (to !== null && to !== from) problems.push(`${where}: integrations may import only the public API (src/index.ts), not "${spec}"`);
        continue;
      }
      if (to === null) {
        problems.push(`${where}: imports "${spec}" (the public index); inside src, import the module itself`);
        continue;
      }
      const fi = LAYERS.indexOf(from);
      const ti = LAYERS.indexOf(to);
      if (fi === -1) problems.push(`${where}: folder "${from}" is not a layer of ARCHITECTURE.md`);
      else if (ti === -1 || ti > fi) problems.push(`${where}: layer "${from}" must not import layer "${to}" ("${spec}")`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const srcDir = path.resolve(process.argv[2] ?? "src");
  const problems = checkLayers(srcDir);
  if (problems.length > 0) {
    process.stderr.write(`Layer check failed (see ARCHITECTURE.md, "Layers"):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  process.stdout.write(`Layer check passed: ${LAYERS.join(" → ")}\n`);
}
