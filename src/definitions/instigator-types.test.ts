import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { job } from "./job.js";
import { op } from "./op.js";
import { resource } from "./resource.js";
import { schedule } from "./schedule.js";
import { assetSensor, runStatusSensor, sensor } from "./sensor.js";

// Checked by the compiler, as asset-types.test.ts is: a wrong inferred type, or an expected
// type error (@ts-expect-error) that no longer errors, fails the typecheck.
const postgres = resource({
  config: z.object({ url: z.string() }),
  setup: async ({ url }) => ({ url, query: async (sql: string) => [{ id: sql.length }] }),
});
const target = job({ name: "target", ops: [op({ name: "noop", run: () => 1 })] });

describe("resources of sensors and schedules: typing", () => {
  it("types context.resources from the resources option in every kind of sensor", () => {
    sensor({
      name: "rows",
      job: target,
      resources: { postgres, byName: "untyped" },
      evaluate: async ({ resources }) => {
        expectTypeOf(resources.postgres.query).toEqualTypeOf<(sql: string) => Promise<{ id: number }[]>>();
        expectTypeOf(resources.byName).toBeUnknown();
        return (await resources.postgres.query("select")).map((r) => ({ runKey: String(r.id) }));
      },
    });
    assetSensor({
      name: "on_asset",
      asset: "a",
      job: target,
      resources: { postgres },
      evaluate: ({ resources }, event) => {
        expectTypeOf(resources.postgres.url).toEqualTypeOf<string>();
        return { runKey: `${resources.postgres.url}:${event.eventId}` };
      },
    });
    runStatusSensor({
      name: "on_failure",
      status: "FAILURE",
      resources: { postgres },
      evaluate: ({ resources }, run) => {
        expectTypeOf(resources.postgres.url).toEqualTypeOf<string>();
        expectTypeOf(run.jobName).toEqualTypeOf<string>();
      },
    });
  });

  it("types context.resources in a schedule's execute", () => {
    schedule({
      name: "nightly",
      cron: "0 3 * * *",
      job: target,
      resources: { postgres },
      execute: async ({ resources, scheduledTime }) => {
        expectTypeOf(resources.postgres.url).toEqualTypeOf<string>();
        return { tags: { at: scheduledTime.toISOString(), rows: String((await resources.postgres.query("select")).length) } };
      },
    });
  });

  it("reports a resource the function did not declare, or a wrong property, at the user's call site", () => {
    sensor({
      name: "wrong_property",
      job: target,
      resources: { postgres },
      // @ts-expect-error the postgres resource's value has no `close`
      evaluate: ({ resources }) => void resources.postgres.close(),
    });
    sensor({
      name: "undeclared",
      job: target,
      // @ts-expect-error no resource named "warehouse" was declared
      evaluate: ({ resources }) => void resources.warehouse,
    });
    schedule({
      name: "wrong_in_schedule",
      cron: "0 3 * * *",
      job: target,
      resources: { postgres },
      // @ts-expect-error url is a string, not a number
      execute: ({ resources }) => ({ tags: { n: String(resources.postgres.url.toFixed(2)) } }),
    });
  });
});
