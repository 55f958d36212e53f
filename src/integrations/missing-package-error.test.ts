import { describe, expect, it } from "vitest";
import { importOptional, MissingPackageError } from "./missing-package-error.js";

describe("importOptional", () => {
  it("names the package to install when it is not installed", async () => {
    const error = await importOptional("sluice/example", "@sluice-test/not-installed", "^1.0.0", () =>
      import(["@sluice-test", "not-installed"].join("/")),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MissingPackageError);
    expect((error as MissingPackageError).code).toBe("MISSING_PACKAGE");
    expect((error as Error).message).toBe(
      'sluice/example needs the package "@sluice-test/not-installed", which is not installed. ' +
        "Install it in your project: npm install @sluice-test/not-installed@^1.0.0",
    );
  });

  it("passes other failures through unchanged", async () => {
    const boom = new Error("native binary is broken");
    await expect(importOptional("sluice/example", "x", "1", () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it("returns the module when it loads", async () => {
    const mod = await importOptional("sluice/duckdb", "@duckdb/node-api", "1.5", () => import("@duckdb/node-api"));
    expect(typeof mod.DuckDBInstance.create).toBe("function");
  });
});
