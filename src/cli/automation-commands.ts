import type { Command } from "commander";
import { existsSync } from "node:fs";
import { UsageError } from "../definitions/errors.js";
import { automatedAssetKeys, readAutomationStatus, setAutomationStatus, type AutomationStatus } from "../runs/automation/automation-status.js";
import { InstigatorStatus } from "../storage/records.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { iso, table } from "./format.js";

/** Ticks `status` shows. */
const RECENT_TICKS = 10;

/**
 * The `sluice automation` command group: `start`, `stop` and `status` of the daemon's automation
 * loop (which evaluates the assets' automation conditions). Returned so that more commands can
 * join the group.
 */
export function registerAutomationCommands(program: Command): Command {
  const group = program.command("automation").description("start, stop and inspect the declarative automation loop");

  for (const action of ["start", "stop"] as const) {
    group
      .command(action)
      .description(`${action} the automation loop (the daemon evaluates the assets' automation conditions while it runs)`)
      .option("-f, --file <file>", "definitions file")
      .option("-m, --module <module>", "definitions module")
      .option("--home <dir>", "instance directory")
      .action(async (flags: LocationOptions) => {
        let automated: number | undefined;
        // Definitions are optional here (the loop is one per instance), but when given they are
        // loaded, so that starting a loop with nothing to evaluate can say so.
        if (flags.file || flags.module || existsSync("workspace.yaml")) automated = automatedAssetKeys((await loadFromOptions(flags)).defs).length;
        await withInstance(flags, async (instance) => {
          const status = await setAutomationStatus(instance.storage, action === "start" ? InstigatorStatus.Running : InstigatorStatus.Stopped);
          const none = automated === 0 && action === "start" ? " No asset has an automation condition yet: give assets `automation: AutomationCondition.eager()` (or another condition)." : "";
          process.stderr.write(`Automation is ${status.status} (since ${iso(status.updatedAt!)}).${none}\n`);
        });
      });
  }

  group
    .command("status")
    .description("whether the automation loop runs, its interval, automated assets, last evaluation and recent ticks")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {status, isDefault, intervalSeconds, automatedAssets, lastEvaluation: {id, at} | null, ticks: [{id, time, status, evaluationId, runIds}]}")
    .action(async (flags: LocationOptions & { json?: boolean }) => {
      if (!flags.file && !flags.module && !existsSync("workspace.yaml")) {
        throw new UsageError("`sluice automation status` reads the definitions (the default status, the automated assets). Pass -f FILE or -m MODULE, or run it in the directory of your workspace.yaml.");
      }
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const status = await readAutomationStatus(instance.storage, defs.automation.defaultStatus, RECENT_TICKS);
        const json = statusJson(status, instance.settings.automation.evaluation_interval_seconds, automatedAssetKeys(defs));
        if (flags.json) return printJson(json);
        process.stdout.write(statusText(json));
      });
    });
  return group;
}

type StatusJson = ReturnType<typeof statusJson>;

function statusJson(status: AutomationStatus, intervalSeconds: number, automated: string[]) {
  return {
    status: status.status,
    isDefault: status.isDefault,
    intervalSeconds,
    automatedAssets: automated,
    lastEvaluation: status.cursor && status.cursor.evaluationId > 0 ? { id: status.cursor.evaluationId, at: status.cursor.evaluatedAt === null ? null : iso(status.cursor.evaluatedAt) } : null,
    ticks: status.ticks.map((t) => ({ id: t.id, time: iso(t.tickTime), status: t.status, evaluationId: t.cursor === null ? null : Number(t.cursor), runIds: t.runIds })),
  };
}

function statusText(s: StatusJson): string {
  const lines = [
    `Automation: ${s.status}${s.isDefault ? " (default)" : ""}, evaluated every ${s.intervalSeconds}s while the daemon runs`,
    `Automated assets: ${s.automatedAssets.length}${s.automatedAssets.length > 0 ? ` (${s.automatedAssets.slice(0, 10).join(", ")}${s.automatedAssets.length > 10 ? ", ..." : ""})` : ""}`,
    `Last evaluation: ${s.lastEvaluation ? `#${s.lastEvaluation.id} at ${s.lastEvaluation.at}` : "none yet"}`,
  ];
  if (s.status === InstigatorStatus.Stopped && s.automatedAssets.length > 0) lines.push("Start it with `sluice automation start`.");
  if (s.ticks.length > 0) {
    lines.push("", table([["EVALUATION", "TIME", "STATUS", "RUNS"], ...s.ticks.map((t) => [String(t.evaluationId ?? ""), t.time, t.status, t.runIds.join(", ")])]));
  }
  return `${lines.join("\n")}\n`;
}
