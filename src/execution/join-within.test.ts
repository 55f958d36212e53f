import path from "node:path";
import { describe, expect, it } from "vitest";
import { UnsafePathError } from "../definitions/errors.js";
import { joinWithin } from "./join-within.js";

const base = path.resolve("/srv/home/storage");

describe("joinWithin", () => {
  it("joins names inside the base directory", () => {
    expect(joinWithin(base, ["raw", "orders.json"], 'asset "raw/orders"')).toBe(path.join(base, "raw", "orders.json"));
    // Dots inside a name are names, not "..".
    expect(joinWithin(base, ["..x", "...json"], "x")).toBe(path.join(base, "..x", "...json"));
    expect(joinWithin(`${base}/./`, ["a/../b.json"], "x")).toBe(path.join(base, "b.json"));
  });

  it.each([
    [["..", "x.json"], path.resolve(base, "..", "x.json")],
    [["../../../../tmp/x.json"], path.resolve("/tmp/x.json")],
    [["./../x.json"], path.resolve(base, "..", "x.json")],
    // Shares the prefix "storage" but is a sibling: a plain startsWith would let it through.
    [["../storage-evil/x.json"], path.resolve(base, "..", "storage-evil", "x.json")],
    [["/etc/passwd"], "/etc/passwd"],
    [["."], base],
    [["a", ".."], base],
  ])("refuses %j, naming the subject, the path and the base", (parts, resolved) => {
    let error: unknown;
    try {
      joinWithin(base, parts, 'asset "evil"');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnsafePathError);
    expect(error).toMatchObject({ code: "UNSAFE_PATH", subject: 'asset "evil"', path: resolved, baseDir: base });
    expect((error as Error).message).toContain(`The path of asset "evil" is ${resolved}, which is outside ${base}`);
  });
});
