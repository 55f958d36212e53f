import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DefinitionError, ErrorCode, UsageError } from "../definitions/errors.js";
import { parseIsoInstant, previewTicks, registerSchedulePreview, type ScheduleLookup } from "./schedule-preview.js";

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("previewTicks", () => {
  it("lists ticks strictly after --after as UTC lines, 5 by default", () => {
    expect(previewTicks({ cron: "0 * * * *", after: "2024-05-01T10:00:00Z" })).toEqual([
      "2024-05-01T11:00:00Z",
      "2024-05-01T12:00:00Z",
      "2024-05-01T13:00:00Z",
      "2024-05-01T14:00:00Z",
      "2024-05-01T15:00:00Z",
    ]);
  });

  it("reads the cron in --timezone, with Dagster's DST rules", () => {
    // 02:30 does not exist on 10 March 2024 in Los Angeles: that day's tick is 03:00 PDT.
    expect(previewTicks({ cron: "30 2 * * *", timezone: "America/Los_Angeles", after: "2024-03-09T12:00:00Z", count: 3 })).toEqual([
      "2024-03-10T10:00:00Z",
      "2024-03-11T09:30:00Z",
      "2024-03-12T09:30:00Z",
    ]);
    // 01:30 happens twice on 3 November 2024: the tick is the second one, 01:30 PST.
    expect(previewTicks({ cron: "30 1 * * *", timezone: "America/Los_Angeles", after: "2024-11-02T12:00:00Z", count: 1 })).toEqual([
      "2024-11-03T09:30:00Z",
    ]);
  });

  it("takes a list of cron strings (union of their ticks)", () => {
    expect(previewTicks({ cron: ["0 9 * * *", "30 9 * * *"], after: "2024-05-01T00:00:00Z", count: 3 })).toEqual([
      "2024-05-01T09:00:00Z",
      "2024-05-01T09:30:00Z",
      "2024-05-02T09:00:00Z",
    ]);
  });

  it("reads --after without an offset as UTC, and honours an offset when given", () => {
    const base = { cron: "0 * * * *", count: 1 } as const;
    expect(previewTicks({ ...base, after: "2024-05-01T10:30" })).toEqual(["2024-05-01T11:00:00Z"]);
    expect(previewTicks({ ...base, after: "2024-05-01T10:30:00-08:00" })).toEqual(["2024-05-01T19:00:00Z"]);
    expect(previewTicks({ ...base, after: "2024-05-01T10:30:00+0530" })).toEqual(["2024-05-01T06:00:00Z"]);
    expect(previewTicks({ ...base, after: "2024-05-01" })).toEqual(["2024-05-01T01:00:00Z"]);
  });

  it("defaults --after to now", () => {
    const [first] = previewTicks({ cron: "* * * * *", count: 1 });
    const t = Date.parse(first!);
    expect(t).toBeGreaterThan(Date.now() - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it.each([0, 1001, 2.5, Number.NaN])("rejects --count %s", (count) => {
    const err = usageError(() => previewTicks({ cron: "* * * * *", count }));
    expect(err.code).toBe(ErrorCode.Usage);
    expect(err.message).toBe(`--count must be a whole number from 1 to 1000, got ${count}.`);
  });

  it("accepts --count 1000", () => {
    expect(previewTicks({ cron: "* * * * *", after: "2024-01-01T00:00:00Z", count: 1000 })).toHaveLength(1000);
  });

  it.each(["yesterday", "2024-13-01", "2024-02-30T00:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+25:00", "1714557600"])(
    "rejects --after %s",
    (after) => {
      const err = usageError(() => previewTicks({ cron: "* * * * *", after }));
      expect(err.message).toContain(`--after "${after}"`);
      expect(err.message).toContain("without an offset the time is read as UTC");
    },
  );

  it("throws DefinitionError for a bad cron string or time zone", () => {
    expect(() => previewTicks({ cron: "61 * * * *" })).toThrow(
      new DefinitionError('Invalid cron string "61 * * * *": minute 61 is out of range 0-59.'),
    );
    expect(() => previewTicks({ cron: "0 * * * *", timezone: "Nowhere/Land" })).toThrow(/Unknown time zone "Nowhere\/Land"/);
  });
});

describe("parseIsoInstant", () => {
  it.each([
    ["2024-03-10T09:30:00Z", "2024-03-10T09:30:00.000Z"],
    ["2024-03-10T09:30:00.250Z", "2024-03-10T09:30:00.250Z"],
    ["2024-03-10 09:30", "2024-03-10T09:30:00.000Z"],
    ["2024-03-10T01:30:00-08:00", "2024-03-10T09:30:00.000Z"],
    ["2024-03-10T15:00+05", "2024-03-10T10:00:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
  ])("%s", (text, expected) => {
    expect(parseIsoInstant(text).toISOString()).toBe(expected);
  });
});

describe("schedule preview command", () => {
  afterEach(() => vi.restoreAllMocks());

  async function run(args: string[], lookup: ScheduleLookup = async () => ({ cron: "0 0 * * *", timezone: "UTC" })): Promise<string> {
    const program = new Command("sluice").exitOverride();
    const schedule = program.command("schedule").exitOverride();
    registerSchedulePreview(schedule, lookup);
    for (const cmd of schedule.commands) cmd.exitOverride();
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    await program.parseAsync(["schedule", "preview", ...args], { from: "user" });
    return out;
  }

  it("previews --cron without definitions", async () => {
    const out = await run(["--cron", "0 9 * * 1-5", "--timezone", "Europe/Berlin", "--after", "2024-05-03T12:00:00Z", "--count", "2"]);
    expect(out).toBe("2024-05-06T07:00:00Z\n2024-05-07T07:00:00Z\n");
  });

  it("previews a named schedule through the lookup, passing -f/-m", async () => {
    const lookup = vi.fn<ScheduleLookup>(async () => ({ cron: ["0 1 * * *"], timezone: "America/Chicago" }));
    const out = await run(["nightly", "-f", "defs.ts", "--after", "2024-11-02T12:00:00Z", "--count", "1"], lookup);
    expect(lookup).toHaveBeenCalledWith("nightly", { file: "defs.ts", module: undefined });
    expect(out).toBe("2024-11-03T07:00:00Z\n");
  });

  it("names the schedule when its cron string is bad", async () => {
    const lookup: ScheduleLookup = async () => ({ cron: "0 0 31 2 *", timezone: "UTC" });
    const err = await run(["broken"], lookup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/^Schedule "broken": Invalid cron string "0 0 31 2 \*"/);
    expect((err as DefinitionError).subject).toBe("broken");
  });

  it.each([
    [[], "schedule preview needs exactly one of NAME or --cron EXPR."],
    [["nightly", "--cron", "* * * * *"], "schedule preview needs exactly one of NAME or --cron EXPR."],
    [["nightly", "--timezone", "UTC"], '--timezone goes with --cron; schedule "nightly" uses its own time zone.'],
    [["--cron", "* * * * *", "-f", "defs.ts"], "-f/--file and -m/--module load a named schedule; --cron needs no definitions."],
    [["--cron", "* * * * *", "--count", "ten"], '--count must be a whole number from 1 to 1000, got "ten".'],
  ])("rejects %j", async (args, message) => {
    const err = await run(args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(message);
  });
});
