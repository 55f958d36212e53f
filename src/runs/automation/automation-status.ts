import type { Definitions } from "../../definitions/definitions.js";
import { AUTOMATION_INSTIGATOR, type AutomationCursor } from "../../storage/automation-records.js";
import { InstigatorStatus, InstigatorType, type TickRecord } from "../../storage/records.js";
import type { Storage } from "../../storage/storage.js";

/** Whether the automation loop is on, and why: started or stopped by someone, or by default. */
export interface AutomationStatus {
  status: InstigatorStatus;
  /** True when nobody started or stopped it: the status is the definitions' `automation.defaultStatus`. */
  isDefault: boolean;
  /** When it was last started or stopped (epoch ms), null when by default. */
  updatedAt: number | null;
  /** The previous evaluation, undefined before the first. */
  cursor: AutomationCursor | undefined;
  /** The loop's recent ticks, newest first. */
  ticks: TickRecord[];
}

/** Keys of the assets that have an automation condition, in the definitions' order. */
export function automatedAssetKeys(defs: Definitions): string[] {
  return [...defs.assets.values()].filter((asset) => asset.automation !== undefined).map((asset) => asset.key);
}

/**
 * Reads whether the automation loop runs (its stored instigator state, else `defaultStatus`), its
 * cursor and its last `ticks` ticks. Throws what storage throws.
 */
export async function readAutomationStatus(storage: Storage, defaultStatus: InstigatorStatus, ticks = 10): Promise<AutomationStatus> {
  const [state, cursor, recent] = await Promise.all([
    storage.getInstigatorState(AUTOMATION_INSTIGATOR),
    storage.getAutomationCursor(),
    ticks > 0 ? storage.listTicks(AUTOMATION_INSTIGATOR, { limit: ticks }) : Promise.resolve([]),
  ]);
  return {
    status: state?.status ?? defaultStatus,
    isDefault: state === undefined,
    updatedAt: state?.updatedAt ?? null,
    cursor,
    ticks: recent,
  };
}

/** Starts or stops the automation loop (stored like a sensor's state); returns its status after. */
export async function setAutomationStatus(storage: Storage, status: InstigatorStatus): Promise<AutomationStatus> {
  await storage.setInstigatorStatus(AUTOMATION_INSTIGATOR, InstigatorType.Automation, status);
  return readAutomationStatus(storage, InstigatorStatus.Stopped);
}
