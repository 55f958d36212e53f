import type { ConfigSchema } from "./config-schema.js";

/** A key in config that its schema does not declare (zod's `z.object()` would silently drop it). */
export interface UnknownKey {
  /** Path of the object that holds it, e.g. `["limits"]` (array indexes as numbers). */
  path: (string | number)[];
  key: string;
  /** The keys that object's schema declares. */
  known: string[];
}

interface SchemaDef {
  type: string;
  shape?: Record<string, ConfigSchema>;
  catchall?: ConfigSchema;
  element?: ConfigSchema;
  items?: ConfigSchema[];
  rest?: ConfigSchema | null;
  valueType?: ConfigSchema;
  innerType?: ConfigSchema;
  in?: ConfigSchema;
  options?: ConfigSchema[];
  left?: ConfigSchema;
  right?: ConfigSchema;
  getter?: () => ConfigSchema;
}

/** Deeper than any config; stops a pathological value or schema, never a real one. */
const MAX_DEPTH = 64;

/**
 * Finds the keys of `value` that its zod schema does not declare, at any depth: objects in objects,
 * arrays, tuples, records, and through optional, nullable, default, readonly, catch and lazy
 * schemas. A `z.object()` strips such keys, so a typo (`pth` for `path`) would quietly give the
 * default; Dagster refuses them, and so does Sluice. Objects that opted in to other keys
 * (`z.looseObject`, `.passthrough()`, `.catchall(...)`) keep them (a catchall's values are walked
 * with its schema); strict objects are left to zod, which reports them itself.
 *
 * Conservative where a schema does not say which keys it keeps: a union counts a key as unknown
 * only when no option that accepts the value knows it (and names the keys of the option zod would
 * pick); an intersection only when neither side knows it; a transform's input is walked, but what
 * a preprocess step receives is not.
 */
export function findUnknownKeys(schema: ConfigSchema, value: unknown): UnknownKey[] {
  const found: UnknownKey[] = [];
  walk(schema, value, [], found, 0);
  return found;
}

function walk(schema: ConfigSchema, value: unknown, path: (string | number)[], out: UnknownKey[], depth: number): void {
  if (value === undefined || value === null || depth > MAX_DEPTH) return;
  const def = (schema as unknown as { _zod?: { def?: SchemaDef } })._zod?.def;
  if (!def) return;
  switch (def.type) {
    case "object":
      return walkObject(def, value, path, out, depth);
    case "record":
      if (!isPlainObject(value) || !def.valueType) return;
      for (const [key, child] of Object.entries(value)) walk(def.valueType, child, [...path, key], out, depth + 1);
      return;
    case "array":
      if (!Array.isArray(value) || !def.element) return;
      value.forEach((child, i) => walk(def.element!, child, [...path, i], out, depth + 1));
      return;
    case "tuple":
      if (!Array.isArray(value)) return;
      value.forEach((child, i) => {
        const item = def.items?.[i] ?? def.rest ?? undefined;
        if (item) walk(item, child, [...path, i], out, depth + 1);
      });
      return;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      if (def.innerType) walk(def.innerType, value, path, out, depth + 1);
      return;
    case "pipe":
      // The user's value meets the pipe's input; a preprocess step's input is a transform, where this stops.
      if (def.in) walk(def.in, value, path, out, depth + 1);
      return;
    case "lazy":
      if (def.getter) walk(def.getter(), value, path, out, depth + 1);
      return;
    case "union":
      return walkUnion(def.options ?? [], value, path, out, depth);
    case "intersection":
      return walkIntersection(def, value, path, out, depth);
    default:
      return;
  }
}

function walkObject(def: SchemaDef, value: unknown, path: (string | number)[], out: UnknownKey[], depth: number): void {
  if (!isPlainObject(value)) return;
  const shape = def.shape ?? {};
  const catchallType = (def.catchall as unknown as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def?.type;
  for (const [key, child] of Object.entries(value)) {
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (field) {
      walk(field, child, [...path, key], out, depth + 1);
    } else if (def.catchall === undefined) {
      out.push({ path, key, known: Object.keys(shape) });
    } else if (catchallType !== "never") {
      // A strict object (catchall never) is zod's to report; another catchall types the extra keys.
      walk(def.catchall, child, [...path, key], out, depth + 1);
    }
  }
}

function walkUnion(options: ConfigSchema[], value: unknown, path: (string | number)[], out: UnknownKey[], depth: number): void {
  // zod takes the first option that accepts the value; one that rejects it says nothing about its keys.
  const accepting = options.filter((option) => option.safeParse(value).success);
  const found = accepting.map((option) => findUnder(option, value, path, depth));
  if (found.length === 0 || found.some((keys) => keys.length === 0)) return;
  out.push(...found[0]!);
}

function walkIntersection(def: SchemaDef, value: unknown, path: (string | number)[], out: UnknownKey[], depth: number): void {
  if (!def.left || !def.right) return;
  const right = new Map(findUnder(def.right, value, path, depth).map((u) => [idOf(u), u]));
  for (const unknown of findUnder(def.left, value, path, depth)) {
    const other = right.get(idOf(unknown));
    if (other) out.push({ ...unknown, known: [...new Set([...unknown.known, ...other.known])] });
  }
}

function findUnder(schema: ConfigSchema, value: unknown, path: (string | number)[], depth: number): UnknownKey[] {
  const found: UnknownKey[] = [];
  walk(schema, value, path, found, depth + 1);
  return found;
}

function idOf(unknown: UnknownKey): string {
  return JSON.stringify([...unknown.path, unknown.key]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
