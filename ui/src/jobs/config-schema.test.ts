import { describe, expect, it } from "vitest";
import { checkAgainstSchema, deepMerge, defaultsOf, initialRunConfig, launchSchema, type JsonSchema } from "./config-schema";

/** A run config schema as the server's snapshot writes it (two steps with config, one resource). */
const runConfigSchema: JsonSchema = {
  type: "object",
  properties: {
    ops: {
      type: "object",
      properties: {
        "raw/orders": { type: "object", properties: { config: { type: "object", properties: { path: { type: "string", default: "data/orders.csv" }, limit: { type: "integer", minimum: 1 } } } }, additionalProperties: false },
        greet: { type: "object", properties: { config: { type: "object", properties: { name: { type: "string" }, loud: { type: "boolean", default: false } }, required: ["name"], additionalProperties: false } }, additionalProperties: false },
      },
      additionalProperties: false,
    },
    resources: {
      type: "object",
      properties: { api: { type: "object", properties: { config: { type: "object", properties: { baseUrl: { type: "string" } } } }, additionalProperties: false } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

describe("defaults", () => {
  it("collects the defaults of a schema's properties, and nothing for properties without one", () => {
    expect(defaultsOf({ type: "object", properties: { a: { default: 1 }, b: { type: "string" }, c: { properties: { d: { default: [1] } } } } })).toEqual({ a: 1, c: { d: [1] } });
    expect(defaultsOf({ type: "string" })).toBeUndefined();
  });

  it("starts a launchpad from every step's defaults, overlaid with the job's default config", () => {
    expect(initialRunConfig(runConfigSchema, {})).toEqual({ ops: { "raw/orders": { config: { path: "data/orders.csv" } }, greet: { config: { loud: false } } } });
    expect(initialRunConfig(runConfigSchema, { ops: { greet: { config: { name: "ada" } } }, resources: { api: { config: { baseUrl: "x" } } } })).toEqual({
      ops: { "raw/orders": { config: { path: "data/orders.csv" } }, greet: { config: { loud: false, name: "ada" } } },
      resources: { api: { config: { baseUrl: "x" } } },
    });
    expect(initialRunConfig({ type: "object", properties: { ops: { properties: {} } } }, {})).toEqual({});
  });

  it("merges objects key by key; anything else in the overlay wins", () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2] })).toEqual({ a: { b: 1, c: 3 }, d: [2] });
    expect(deepMerge({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});

describe("checkAgainstSchema", () => {
  it("accepts a config that fits", () => {
    expect(checkAgainstSchema({ ops: { "raw/orders": { config: { path: "x", limit: 3 } }, greet: { config: { name: "ada" } } } }, runConfigSchema)).toEqual([]);
  });

  it("names the path of a value of the wrong type, a missing required key and an unknown key", () => {
    const problems = checkAgainstSchema({ ops: { "raw/orders": { config: { path: 5, limit: 0 } }, greet: { config: { shout: true } }, nope: {} } }, runConfigSchema);
    expect(problems).toEqual([
      { path: "ops.raw/orders.config.path", message: "expected string, got number" },
      { path: "ops.raw/orders.config.limit", message: "must be ≥ 1" },
      { path: "ops.greet.config.name", message: "is required (string)" },
      { path: "ops.greet.config.shout", message: "is not a known key (known: name, loud)" },
      { path: "ops.nope", message: "is not a known key (known: raw/orders, greet)" },
    ]);
  });

  it("tells an integer from a number, and checks enums, lengths, patterns and array items", () => {
    expect(checkAgainstSchema(1.5, { type: "integer" })).toEqual([{ path: "(root)", message: "expected integer, got number" }]);
    expect(checkAgainstSchema(2, { type: "number" })).toEqual([]);
    expect(checkAgainstSchema("c", { enum: ["a", "b"] })[0]!.message).toBe('expected one of "a", "b"');
    expect(checkAgainstSchema("", { type: "string", minLength: 1 })[0]!.message).toMatch(/at least 1/);
    expect(checkAgainstSchema("abc", { type: "string", pattern: "^\\d+$" })[0]!.message).toMatch(/must match/);
    expect(checkAgainstSchema([1, "x"], { type: "array", items: { type: "number" } })).toEqual([{ path: "1", message: "expected number, got string" }]);
  });

  it("accepts a value fitting one branch of anyOf (optional and nullable fields), and explains the branch of the same type", () => {
    const nullable: JsonSchema = { anyOf: [{ type: "string", minLength: 2 }, { type: "null" }] };
    expect(checkAgainstSchema(null, nullable)).toEqual([]);
    expect(checkAgainstSchema("ab", nullable)).toEqual([]);
    expect(checkAgainstSchema("a", nullable)).toEqual([{ path: "(root)", message: "must have at least 2 characters" }]);
    expect(checkAgainstSchema(3, nullable)).toEqual([{ path: "(root)", message: "does not match any of the allowed forms" }]);
  });

  it("accepts what it does not understand (the server decides)", () => {
    expect(checkAgainstSchema({ x: 1 }, { type: "object", "x-unknown": true } as JsonSchema)).toEqual([]);
    expect(checkAgainstSchema("anything", {})).toEqual([]);
  });
});

describe("launchSchema", () => {
  it("lets run config override part of a resource's config (the server merges it over the bound values)", () => {
    const withResource: JsonSchema = {
      ...runConfigSchema,
      properties: {
        ...runConfigSchema.properties,
        resources: { type: "object", properties: { api: { type: "object", properties: { config: { type: "object", properties: { baseUrl: { type: "string" }, apiKey: { type: "string" } }, required: ["baseUrl", "apiKey"] } } } }, additionalProperties: false },
      },
    };
    const partial = { resources: { api: { config: { baseUrl: "https://x" } } } };
    expect(checkAgainstSchema(partial, withResource).map((p) => p.path)).toEqual(["resources.api.config.apiKey"]);
    expect(checkAgainstSchema(partial, launchSchema(withResource))).toEqual([]);
    expect(checkAgainstSchema({ resources: { api: { config: { baseUrl: 1 } } } }, launchSchema(withResource))).toEqual([{ path: "resources.api.config.baseUrl", message: "expected string, got number" }]);
    // Step config keeps its required fields.
    expect(checkAgainstSchema({ ops: { greet: { config: {} } } }, launchSchema(withResource)).map((p) => p.path)).toEqual(["ops.greet.config.name"]);
  });
});
