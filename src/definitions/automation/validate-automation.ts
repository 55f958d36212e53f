import { CronSchedule } from "../cron/cron-schedule.js";
import { DefinitionError } from "../errors.js";
import { parseDuration } from "../freshness-policy.js";
import { isAutomationCondition, type AutomationCondition } from "./automation-condition.js";

/**
 * Checks an asset's `automation` when the asset is defined, and returns it. Throws DefinitionError
 * naming the asset for: a value that is not an AutomationCondition; `and`/`or` without conditions;
 * a cron string that does not parse or an unknown time zone; an `inLatestTimeWindow` lookback that
 * is not a duration; `since` or `newlyTrue` inside a deps condition (deps are evaluated statelessly).
 */
export function validateAutomation(value: unknown, assetKey: string): AutomationCondition {
  if (!isAutomationCondition(value)) {
    throw new DefinitionError(
      `Asset "${assetKey}": automation must be an AutomationCondition, such as AutomationCondition.eager() or ` +
        `AutomationCondition.onCron("0 * * * *"); got ${describeValue(value)}.`,
      assetKey,
    );
  }
  visit(value, assetKey, null);
  return value;
}

function visit(node: AutomationCondition, assetKey: string, insideDeps: string | null): void {
  switch (node.type) {
    case "and":
    case "or":
      if (node.children.length === 0) {
        throw new DefinitionError(
          `Asset "${assetKey}": AutomationCondition.${node.type}() needs at least one condition, e.g. AutomationCondition.${node.type}(AutomationCondition.missing(), ...).`,
          assetKey,
        );
      }
      break;
    case "cron_tick_passed":
    case "all_deps_updated_since_cron": {
      const cron = node.params.cron ?? "";
      try {
        CronSchedule.parse(cron, node.params.timezone ?? "UTC");
      } catch (err) {
        throw new DefinitionError(`Asset "${assetKey}": the automation condition's cron "${cron}" (${node.params.timezone ?? "UTC"}) is invalid: ${(err as Error).message}`, assetKey);
      }
      break;
    }
    case "in_latest_time_window": {
      const lookback = node.params.lookback;
      if (lookback != null && parseDuration(lookback) === undefined) {
        throw new DefinitionError(
          `Asset "${assetKey}": inLatestTimeWindow lookback ${JSON.stringify(lookback)} is not a duration. Give one such as "2d", "12h", "1h30m", or a number of milliseconds.`,
          assetKey,
        );
      }
      break;
    }
    case "since":
    case "newly_true":
      if (insideDeps !== null) {
        throw new DefinitionError(
          `Asset "${assetKey}": ${insideDeps} contains ${node.type === "since" ? "since()" : "newlyTrue()"}, which keeps state between evaluations. ` +
            `Conditions on deps are evaluated without state: use only stateless conditions there (missing, newlyUpdated, inProgress...), ` +
            `and put since()/newlyTrue() around the deps condition instead.`,
          assetKey,
        );
      }
      break;
  }
  const deps = node.type === "any_deps_match" || node.type === "all_deps_match" ? (node.label ?? node.type) : insideDeps;
  for (const child of node.children) visit(child, assetKey, deps);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `the string ${JSON.stringify(value)} (use AutomationCondition.onCron(${JSON.stringify(value)}) for a cron)`;
  if (typeof value === "object") return "a plain object (build conditions with the AutomationCondition factories)";
  return `${typeof value} ${String(value)}`;
}
