import { describe, expect, expectTypeOf, it } from "vitest";
import { asset, type PartitionKeyRange } from "./asset.js";
import {
  allPartitions,
  dailyPartitions,
  dimensionMapping,
  hourlyPartitions,
  identityMapping,
  lastPartition,
  multiPartitions,
  multiRun,
  singleRun,
  staticMapping,
  staticPartitions,
  timeWindowMapping,
} from "./partitions.js";

// Checked by the compiler (the test script type-checks tests before running them): a wrong
// inferred type, or an @ts-expect-error that no longer errors, fails the build.
const hours = hourlyPartitions({ start: "2025-01-01-00:00" });
const days = dailyPartitions({ start: "2025-01-01" });
const regions = staticPartitions(["eu", "na"]);
const countries = staticPartitions(["fr", "us"]);
const byDayAndRegion = multiPartitions({ date: days, region: regions });

const hourly = asset({ key: "hourly", partitions: hours, run: () => ({ n: 1 }) });
const daily = asset({ key: "daily", partitions: days, run: () => [1, 2] });
const prices = asset({ key: "prices", partitions: days, run: () => 2.5 });
const perCountry = asset({ key: "per_country", partitions: countries, run: () => "text" });
const perDayAndRegion = asset({ key: "per_day_region", partitions: byDayAndRegion, run: () => true });

describe("inputs read through a partition mapping", () => {
  it("one value for identity and last partition, a record for mappings that read several keys", () => {
    asset({
      key: "a",
      partitions: days,
      ins: {
        same: { asset: daily, mapping: identityMapping() },
        latest: { asset: prices, mapping: lastPartition() },
        dayHours: { asset: hourly, mapping: timeWindowMapping() },
      },
      run: ({ same, latest, dayHours }) => {
        expectTypeOf(same).toEqualTypeOf<number[]>();
        expectTypeOf(latest).toEqualTypeOf<number>();
        expectTypeOf(dayHours).toEqualTypeOf<Record<string, { n: number }>>();
        // @ts-expect-error a record of hours, not one hour's value
        const oneHour: { n: number } = dayHours;
        return oneHour;
      },
    });
    asset({
      key: "b",
      partitions: regions,
      ins: { countries: { asset: perCountry, mapping: staticMapping({ fr: "eu", us: "na" }) }, everything: { asset: daily, mapping: allPartitions() } },
      run: ({ countries: c, everything }) => {
        expectTypeOf(c).toEqualTypeOf<Record<string, string>>();
        expectTypeOf(everything).toEqualTypeOf<Record<string, number[]>>();
        // @ts-expect-error a record of countries' texts, not one text
        const oneText: string = c;
        return oneText;
      },
    });
  });

  it("a dimension mapping reads several keys from the multi side, one key into it", () => {
    asset({
      key: "per_day",
      partitions: days,
      ins: { regions: { asset: perDayAndRegion, mapping: dimensionMapping("date") } },
      run: ({ regions: r }) => {
        expectTypeOf(r).toEqualTypeOf<Record<string, boolean>>();
        return Object.values(r).length;
      },
    });
    asset({
      key: "per_day_region_enriched",
      partitions: byDayAndRegion,
      ins: { day: { asset: daily, mapping: dimensionMapping("date") } },
      run: ({ day }) => {
        expectTypeOf(day).toEqualTypeOf<number[]>();
        // @ts-expect-error one day's value (number[]), not a record of days
        return day["2025-01-01"].length;
      },
    });
  });

  it("keys as upstream references stay untyped, with the mapping's shape", () => {
    asset({
      key: "c",
      partitions: days,
      ins: { h: { asset: "hourly", mapping: timeWindowMapping({ startOffset: -1 }) }, d: { asset: "daily", mapping: lastPartition() } },
      deps: [{ asset: "per_country", mapping: allPartitions() }, daily],
      run: ({ h, d }) => {
        expectTypeOf(h).toEqualTypeOf<Record<string, unknown>>();
        expectTypeOf(d).toBeUnknown();
        return 1;
      },
    });
  });

  it("refuses what is not a mapping, at compile time and when declared", () => {
    expect(() =>
      asset({
        key: "d",
        partitions: days,
        // @ts-expect-error mapping must be a partition mapping
        ins: { x: { asset: daily, mapping: "identity" } },
        run: () => 1,
      }),
    ).toThrow('Asset "d": input "x" reads "daily" with a mapping that is not a partition mapping.');
  });
});

describe("assets with a backfill policy", () => {
  it("receive every partitioned input as a record (a run may cover a range), unpartitioned ones as one value", () => {
    const lookup = asset({ key: "lookup", run: () => new Map<string, number>() });
    asset({
      key: "rollup",
      partitions: days,
      backfillPolicy: singleRun(),
      ins: { daily, lookup, dayHours: { asset: hourly, mapping: timeWindowMapping() }, latest: { asset: prices, mapping: lastPartition() } },
      run: ({ daily: d, lookup: l, dayHours, latest }, { partitionKeyRange, partitionKeysInRun, partitionKey }) => {
        expectTypeOf(d).toEqualTypeOf<Record<string, number[]>>();
        expectTypeOf(l).toEqualTypeOf<Map<string, number>>();
        expectTypeOf(dayHours).toEqualTypeOf<Record<string, { n: number }>>();
        expectTypeOf(latest).toEqualTypeOf<Record<string, number>>();
        expectTypeOf(partitionKeyRange).toEqualTypeOf<PartitionKeyRange | null>();
        expectTypeOf(partitionKeysInRun).toEqualTypeOf<readonly string[]>();
        expectTypeOf(partitionKey).toEqualTypeOf<string>();
        // @ts-expect-error a record of days, not one day's numbers
        const oneDay: number[] = d;
        return oneDay;
      },
    });
    asset({
      key: "rollup24",
      partitions: hours,
      backfillPolicy: multiRun(24),
      ins: { hourly },
      run: ({ hourly: h }) => {
        expectTypeOf(h).toEqualTypeOf<Record<string, { n: number }>>();
        return Object.keys(h).length;
      },
    });
  });

  it("refuses a policy that is not one", () => {
    // @ts-expect-error backfillPolicy comes from singleRun() or multiRun(n)
    asset({ key: "e", partitions: days, backfillPolicy: "single", run: () => 1 });
  });
});
