/**
 * The launchpad's view of a job's run config schema (JSON Schema 2020-12, as the server's
 * snapshot writes it from zod): the config to start from (every default the schema declares,
 * overlaid with the job's own default config) and a quick check of an edited config, so that a
 * mistake shows while typing. The server stays the judge: it validates again with the real zod
 * schemas when the run is launched.
 */

/** A JSON Schema node (only the keywords read here are typed). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  description?: string;
}

/** A mismatch between a config and its schema, at a dotted path like `ops.raw/orders.config.path`. */
export interface SchemaProblem {
  path: string;
  message: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value a schema gives when nothing is written: its `default`, else an object of its
 * properties' defaults (only those that have one), else undefined.
 */
export function defaultsOf(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(schema.properties)) {
      const value = defaultsOf(child);
      if (value !== undefined) out[name] = value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return undefined;
}

/** `base` overlaid with `over`: objects merge key by key, anything else in `over` wins. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

/**
 * The config a launchpad starts from: for each step with config, `ops.<step>.config` with the
 * defaults of its schema, overlaid with the job's default config.
 */
export function initialRunConfig(runConfigSchema: JsonSchema, defaultConfig: Record<string, unknown>): Record<string, unknown> {
  const ops: Record<string, unknown> = {};
  for (const [step, schema] of Object.entries(runConfigSchema.properties?.ops?.properties ?? {})) {
    const config = defaultsOf(schema.properties?.config);
    ops[step] = { config: config ?? {} };
  }
  const base: Record<string, unknown> = Object.keys(ops).length > 0 ? { ops } : {};
  return deepMerge(base, defaultConfig) as Record<string, unknown>;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return expected === actual || (expected === "number" && actual === "integer");
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/**
 * Checks a value against the subset of JSON Schema that zod's `toJSONSchema` writes (type,
 * properties, required, additionalProperties, items, enum, const, anyOf/oneOf/allOf, bounds,
 * lengths, pattern); keywords it does not know are accepted. Returns every problem found.
 */
export function checkAgainstSchema(value: unknown, schema: JsonSchema | undefined, path = ""): SchemaProblem[] {
  if (!schema || typeof schema !== "object") return [];
  const problems: SchemaProblem[] = [];
  const at = path || "(root)";
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const fits = alternatives.some((alt) => checkAgainstSchema(value, alt, path).length === 0);
    if (!fits) {
      // One branch's own problems say more than "matches none" when only one branch has the right type.
      const sameType = alternatives.filter((alt) => alt.type === undefined || [alt.type].flat().some((t) => typeMatches(t, value)));
      if (sameType.length === 1) problems.push(...checkAgainstSchema(value, sameType[0], path));
      else problems.push({ path: at, message: `does not match any of the allowed forms` });
    }
  }
  for (const part of schema.allOf ?? []) problems.push(...checkAgainstSchema(value, part, path));
  if (schema.type !== undefined) {
    const types = [schema.type].flat();
    if (!types.some((t) => typeMatches(t, value))) {
      problems.push({ path: at, message: `expected ${types.join(" or ")}, got ${typeOf(value) === "integer" ? "number" : typeOf(value)}` });
      return problems;
    }
  }
  if (schema.enum && !schema.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    problems.push({ path: at, message: `expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}` });
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    problems.push({ path: at, message: `expected ${JSON.stringify(schema.const)}` });
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push({ path: at, message: `must be ≥ ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) problems.push({ path: at, message: `must be ≤ ${schema.maximum}` });
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) problems.push({ path: at, message: `must be > ${schema.exclusiveMinimum}` });
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) problems.push({ path: at, message: `must be < ${schema.exclusiveMaximum}` });
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) problems.push({ path: at, message: `must have at least ${schema.minLength} characters` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push({ path: at, message: `must have at most ${schema.maxLength} characters` });
    if (schema.pattern !== undefined) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, "u");
      } catch {
        // A pattern this browser cannot compile: leave it to the server.
      }
      if (re && !re.test(value)) problems.push({ path: at, message: `must match /${schema.pattern}/` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push({ path: at, message: `must have at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push({ path: at, message: `must have at most ${schema.maxItems} items` });
    if (schema.items) value.forEach((item, i) => problems.push(...checkAgainstSchema(item, schema.items, join(path, i))));
  }
  if (isPlainObject(value)) {
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!(name in value)) problems.push({ path: join(path, name), message: `is required${properties[name]?.type ? ` (${[properties[name]!.type].flat().join(" or ")})` : ""}` });
    }
    for (const [key, child] of Object.entries(value)) {
      if (key in properties) problems.push(...checkAgainstSchema(child, properties[key], join(path, key)));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(properties);
        problems.push({ path: join(path, key), message: `is not a known key${known.length ? ` (known: ${known.join(", ")})` : ""}` });
      } else if (typeof schema.additionalProperties === "object") {
        problems.push(...checkAgainstSchema(child, schema.additionalProperties, join(path, key)));
      }
    }
  }
  return problems;
}

/** The schema with no `required` anywhere inside: for config that is merged over values bound elsewhere. */
export function withoutRequired(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  delete out.required;
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, withoutRequired(v)]));
  if (schema.items) out.items = withoutRequired(schema.items);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    if (schema[key]) out[key] = schema[key]!.map(withoutRequired);
  }
  if (typeof schema.additionalProperties === "object") out.additionalProperties = withoutRequired(schema.additionalProperties);
  return out;
}

/**
 * The schema the launchpad checks a run config against: the job's run config schema, except that
 * resource config only overrides the values bound in the definitions (the server merges the two),
 * so none of its fields is required there.
 */
export function launchSchema(runConfigSchema: JsonSchema): JsonSchema {
  const resources = runConfigSchema.properties?.resources;
  if (!resources) return runConfigSchema;
  return { ...runConfigSchema, properties: { ...runConfigSchema.properties, resources: withoutRequired(resources) } };
}
