import { ExecutorKind } from "../definitions/definitions.js";
import { ConfigError } from "../definitions/errors.js";

/** The tag that picks a run's executor, over the Definitions' setting: `sluice/executor: multiprocess`. */
export const EXECUTOR_TAG = "sluice/executor";

/**
 * The executor a run's tags ask for, or undefined when they name none. Throws ConfigError (path
 * `tags.sluice/executor`) for a value that is no executor kind.
 */
export function executorOfTags(tags: Readonly<Record<string, string>>): ExecutorKind | undefined {
  const value = tags[EXECUTOR_TAG];
  if (value === undefined) return undefined;
  const kinds: readonly string[] = Object.values(ExecutorKind);
  if (!kinds.includes(value)) {
    throw new ConfigError(
      `Tag "${EXECUTOR_TAG}" must be ${Object.values(ExecutorKind).map((k) => `"${k}"`).join(" or ")}, got ${JSON.stringify(value)}.`,
      `tags.${EXECUTOR_TAG}`,
    );
  }
  return value as ExecutorKind;
}
