import { describe, expect, it } from "vitest";
import { z } from "zod";
import { findUnknownKeys } from "./config-unknown-keys.js";

/** `path.key` of each unknown key found. */
function unknownPaths(schema: z.ZodType, value: unknown): string[] {
  return findUnknownKeys(schema, value).map((u) => [...u.path, u.key].join("."));
}

describe("findUnknownKeys", () => {
  it("finds a key the object does not declare (zod would strip it and use the default)", () => {
    const schema = z.object({ path: z.string().default("in.csv"), limit: z.number().optional() });
    expect(findUnknownKeys(schema, { pth: "x.csv", limit: 3 })).toEqual([{ path: [], key: "pth", known: ["path", "limit"] }]);
    expect(findUnknownKeys(schema, { path: "x.csv" })).toEqual([]);
    expect(findUnknownKeys(schema, {})).toEqual([]);
  });

  it("walks objects in objects, arrays, tuples, records and optional / nullable / default / readonly / catch wrappers", () => {
    const point = z.object({ x: z.number(), y: z.number() });
    const schema = z.object({
      nested: z.object({ inner: z.object({ deep: z.string() }).optional() }).default({}),
      list: z.array(point),
      pair: z.tuple([point], point),
      byName: z.record(z.string(), point),
      maybe: point.nullable().readonly(),
      lenient: point.catch({ x: 0, y: 0 }),
    });
    const value = {
      nested: { inner: { deep: "a", deeep: "b" }, extra: 1 },
      list: [{ x: 1, y: 2 }, { x: 1, y: 2, z: 3 }],
      pair: [{ x: 1, y: 2, a: 1 }, { x: 1, y: 2 }, { x: 1, y: 2, b: 1 }],
      byName: { one: { x: 1, y: 2, w: 0 } },
      maybe: { x: 1, y: 1, q: 1 },
      lenient: { x: 1, y: 1, r: 1 },
    };
    expect(unknownPaths(schema, value)).toEqual([
      "nested.inner.deeep",
      "nested.extra",
      "list.1.z",
      "pair.0.a",
      "pair.2.b",
      "byName.one.w",
      "maybe.q",
      "lenient.r",
    ]);
    expect(findUnknownKeys(schema, value)[0]).toEqual({ path: ["nested", "inner"], key: "deeep", known: ["deep"] });
    expect(unknownPaths(schema, { ...value, maybe: null, nested: undefined })).not.toContain("maybe.q");
  });

  it("leaves extra keys to schemas that opted in: looseObject, passthrough, catchall; strict ones are zod's to report", () => {
    const inner = { a: z.string() };
    expect(unknownPaths(z.object({ o: z.looseObject(inner) }), { o: { a: "1", extra: 1 } })).toEqual([]);
    expect(unknownPaths(z.object({ o: z.object(inner).passthrough() }), { o: { a: "1", extra: 1 } })).toEqual([]);
    expect(unknownPaths(z.object({ o: z.object(inner).catchall(z.object({ n: z.number() })) }), { o: { a: "1", extra: { n: 1, m: 2 } } })).toEqual([
      "o.extra.m",
    ]);
    expect(unknownPaths(z.strictObject(inner), { a: "1", extra: 1 })).toEqual([]);
    // Inside a loose object, declared fields are still checked.
    expect(unknownPaths(z.looseObject({ o: z.object(inner) }), { o: { a: "1", b: 2 }, free: 1 })).toEqual(["o.b"]);
  });

  it("is conservative with unions, intersections, transforms and preprocessing: no false positives", () => {
    const a = z.object({ kind: z.literal("a"), size: z.number() });
    const b = z.object({ kind: z.literal("b"), name: z.string() });
    const union = z.object({ shape: z.union([a, b]) });
    expect(unknownPaths(union, { shape: { kind: "b", name: "x" } })).toEqual([]);
    expect(unknownPaths(union, { shape: { kind: "b", name: "x", nmae: "y" } })).toEqual(["shape.nmae"]);
    // Matches no option: zod reports it; nothing is invented here.
    expect(unknownPaths(union, { shape: { kind: "c", other: 1 } })).toEqual([]);
    const discriminated = z.discriminatedUnion("kind", [a, b]);
    expect(unknownPaths(discriminated, { kind: "a", size: 1, colour: "red" })).toEqual(["colour"]);
    // Two options that both accept the value: a key known to either is not unknown.
    const overlapping = z.union([z.object({ a: z.string().optional() }), z.object({ b: z.string().optional() })]);
    expect(unknownPaths(overlapping, { b: "x" })).toEqual([]);

    const both = z.intersection(z.object({ a: z.string(), n: z.object({ x: z.number() }) }), z.object({ b: z.string(), n: z.object({ y: z.number() }) }));
    expect(unknownPaths(both, { a: "1", b: "2", n: { x: 1, y: 2 } })).toEqual([]);
    expect(unknownPaths(both, { a: "1", b: "2", c: 3, n: { x: 1, y: 2, z: 3 } })).toEqual(["c", "n.z"]);

    const transformed = z.object({ when: z.object({ iso: z.string() }).transform((v) => new Date(v.iso)) });
    expect(unknownPaths(transformed, { when: { iso: "2024-01-01", tz: "UTC" } })).toEqual(["when.tz"]);
    const preprocessed = z.preprocess((v) => ({ ...(v as object), renamed: 1 }), z.object({ renamed: z.number() }));
    expect(unknownPaths(preprocessed, { original: 1 })).toEqual([]);
  });

  it("follows lazy (recursive) schemas as deep as the value goes", () => {
    interface Node {
      name: string;
      children?: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node).optional() }));
    expect(unknownPaths(node, { name: "a", children: [{ name: "b", children: [{ name: "c", colour: 1 }] }] })).toEqual(["children.0.children.0.colour"]);
  });

  it("ignores values that are not plain objects where an object is expected (zod reports their type)", () => {
    const schema = z.object({ o: z.object({ a: z.string() }) });
    expect(unknownPaths(schema, { o: "text" })).toEqual([]);
    expect(unknownPaths(schema, null)).toEqual([]);
    expect(unknownPaths(schema, [1, 2])).toEqual([]);
  });
});
