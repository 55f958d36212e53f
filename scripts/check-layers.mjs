#!/usr/bin/env node
// Fails when a file under src/ imports a layer its own may not (ARCHITECTURE.md, "Layers"), or when
// runtime imports between files of src/ form a cycle (a module in a cycle can be read half-loaded:
// its exports are still undefined, or in their temporal dead zone, when the other one runs).
// Plain Node, no dependencies: it runs in `npm test`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layers of src/ and, for each, the layers it may import besides itself. A graph, not a line:
 * server and daemon both sit above instance, but server must never import daemon (`sluice dev`
 * wires them together in cli/).
 */
export const ALLOWED_IMPORTS = {
  definitions: [],
  storage: ["definitions"],
  execution: ["definitions", "storage"],
  runs: ["definitions", "storage", "execution"],
  instance: ["definitions", "storage", "execution", "runs"],
  daemon: ["definitions", "storage", "execution", "runs", "instance"],
  server: ["definitions", "storage", "execution", "runs", "instance"],
  cli: ["definitions", "storage", "execution", "runs", "instance", "daemon", "server"],
};
/** Integrations are built on the public API (src/index.ts) and on other files of integrations/ only. */
const INTEGRATIONS = "integrations";
/** What the public API (a file at the root of src/, i.e. index.ts) may import. */
const PUBLIC_API_IMPORTS = Object.keys(ALLOWED_IMPORTS).filter((layer) => layer !== "cli");

// `import … from`, `export … from`: group 1 is `type ` for a type-only one, group 2 the specifier.
const FROM_PATTERN = /(?:^|[\n;])[ \t]*(?:import|export)\s+(type\s+)?(?:(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)|[\w$]+)\s*from\s*["']([^"']+)["']/g;
const SIDE_EFFECT_PATTERN = /(?:^|[\n;])[ \t]*import\s*["']([^"']+)["']/g;
const DYNAMIC_PATTERN = /\bimport\s*\(\s*(["'`])([^"'`$]+)\1\s*\)/g;

/**
 * The imports written in `text`, each with its kind: "runtime" (loaded when the file loads), "type"
 * (`import type`, `export type`: erased) or "dynamic" (`import()`: loaded later, when called).
 * `import { type A }` counts as runtime: under the project's `verbatimModuleSyntax` it compiles to
 * `import {} from "…"`, which still loads the module.
 */
export function importsOf(text) {
  const found = [];
  for (const m of text.matchAll(FROM_PATTERN)) found.push({ spec: m[2], kind: m[1] ? "type" : "runtime" });
  for (const m of text.matchAll(SIDE_EFFECT_PATTERN)) found.push({ spec: m[1], kind: "runtime" });
  for (const m of text.matchAll(DYNAMIC_PATTERN)) found.push({ spec: m[2], kind: "dynamic" });
  return found;
}

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listTs(full));
    else if (/\.(m|c)?tsx?$/.test(name)) out.push(full);
  }
  return out;
}

/** The file a relative specifier loads: `./x.js` is `./x.ts` in the sources; a folder loads its index. */
function resolveFile(target) {
  const candidates = [target];
  const ext = /\.(m|c)?jsx?$/.exec(target);
  if (ext) {
    const base = target.slice(0, -ext[0].length);
    candidates.unshift(`${base}.${ext[1] ?? ""}ts`, `${base}.${ext[1] ?? ""}tsx`);
  } else {
    candidates.push(`${target}.ts`, path.join(target, "index.ts"));
  }
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

function layerOf(srcDir, file) {
  const rel = path.relative(srcDir, file).split(path.sep);
  return rel.length > 1 ? rel[0] : null; // null: a file at the root of src/ (index.ts, the public API)
}

function layerProblem(from, to, spec) {
  if (from === INTEGRATIONS) {
    if (to !== null && to !== INTEGRATIONS) return `integrations may import only the public API (src/index.ts) and other files of integrations/, not "${spec}"`;
    return undefined;
  }
  if (from === null) {
    if (to === null || PUBLIC_API_IMPORTS.includes(to)) return undefined;
    return `the public API must not import layer "${to}" ("${spec}"); it may import ${PUBLIC_API_IMPORTS.join(", ")}`;
  }
  if (to === null) return `imports "${spec}" (the public index); inside src, import the module itself`;
  const allowed = ALLOWED_IMPORTS[from];
  if (to === from || allowed.includes(to)) return undefined;
  const may = allowed.length > 0 ? `${from} may import ${allowed.join(", ")}` : `${from} may import no other layer`;
  return `layer "${from}" must not import layer "${to}" ("${spec}"); ${may}`;
}

/**
 * Reads every file under srcDir and checks its relative imports against the layer graph.
 * Returns the problems and counts: files, relative imports, and distinct runtime imports between files.
 */
export function analyze(srcDir) {
  const problems = [];
  const files = listTs(srcDir);
  const runtimeEdges = new Map(files.map((file) => [file, new Set()]));
  let imports = 0;
  for (const file of files) {
    const where = path.relative(process.cwd(), file);
    const from = layerOf(srcDir, file);
    const known = from === null || from === INTEGRATIONS || Object.hasOwn(ALLOWED_IMPORTS, from);
    if (!known) problems.push(`${where}: folder "${from}" is not a layer of ARCHITECTURE.md; move the file into the layer that owns it`);
    for (const { spec, kind } of importsOf(readFileSync(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(srcDir + path.sep)) continue;
      imports += 1;
      const problem = known ? layerProblem(from, layerOf(srcDir, target), spec) : undefined;
      if (problem) problems.push(`${where}: ${problem}`);
      const resolved = kind === "runtime" ? resolveFile(target) : undefined;
      if (resolved) runtimeEdges.get(file)?.add(resolved);
    }
  }
  for (const cycle of importCycles(runtimeEdges)) problems.push(describeCycle(cycle));
  const runtimeImports = [...runtimeEdges.values()].reduce((sum, targets) => sum + targets.size, 0);
  return { problems, files: files.length, imports, runtimeImports };
}

/** Returns every layer violation ("file: message") and import cycle in the tree at srcDir. */
export function checkLayers(srcDir) {
  return analyze(srcDir).problems;
}

/**
 * The cycles of a graph: its strongly connected components of more than one file, and the files
 * that import themselves. Each is `{ files, path }`, `path` one way around it, back to its start.
 * Iterative Tarjan, so a deep import chain cannot overflow the stack.
 */
export function importCycles(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (node) => {
    index.set(node, index.size);
    low.set(node, index.get(node));
    stack.push(node);
    onStack.add(node);
    return { node, next: [...(edges.get(node) ?? [])], at: 0 };
  };
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work = [visit(root)];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.at < frame.next.length) {
        const next = frame.next[frame.at++];
        if (!index.has(next)) work.push(visit(next));
        else if (onStack.has(next)) low.set(frame.node, Math.min(low.get(frame.node), index.get(next)));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node), low.get(frame.node)));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || edges.get(frame.node)?.has(frame.node)) {
        const files = component.sort();
        cycles.push({ files, path: pathAround(files[0], new Set(files), edges) });
      }
    }
  }
  return cycles.sort((a, b) => (a.files[0] < b.files[0] ? -1 : 1));
}

/** The shortest path from `start` back to itself inside one strongly connected component. */
function pathAround(start, within, edges) {
  const cameFrom = new Map();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const next of edges.get(queue[i]) ?? []) {
      if (!within.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let node = queue[i]; node !== start; node = cameFrom.get(node)) path.unshift(node);
        return [start, ...path];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, queue[i]);
        queue.push(next);
      }
    }
  }
  return [start];
}

function describeCycle({ files, path: around }) {
  const rel = (file) => path.relative(process.cwd(), file);
  const which = files.length === 1 ? `${rel(files[0])} imports itself` : `${files.length} files import each other (${files.map(rel).join(", ")})`;
  return (
    `import cycle: ${which}: ${around.map(rel).join(" → ")}. ` +
    "Move what they share into a module of its own, or make one of these imports `import type` or a lazy `await import()`"
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const srcDir = path.resolve(process.argv[2] ?? "src");
  if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) {
    process.stderr.write(`Layer check: "${srcDir}" is not a directory; usage: node scripts/check-layers.mjs [src-dir]\n`);
    process.exit(2);
  }
  const { problems, files, imports, runtimeImports } = analyze(srcDir);
  if (problems.length > 0) {
    process.stderr.write(`Layer check failed (see ARCHITECTURE.md, "Layers"):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `Layer check passed: ${imports} imports between ${files} files of ${path.relative(process.cwd(), srcDir) || "."}/ follow the layer graph ` +
      `(server ↛ daemon, execution ↛ runs, integrations on the public API only); the ${runtimeImports} runtime ones form no cycle\n`,
  );
}
