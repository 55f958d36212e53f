/**
 * Dynamic partition keys live in storage, but the checks of a run (newRun, prepareRun) are
 * synchronous: every path that creates or executes a run first reads the keys of the definitions'
 * dynamic partitions from storage into them, with {@link loadDynamicPartitions}.
 */
import type { Definitions } from "../definitions/definitions.js";
import { checkDynamicPartitionKeys } from "../definitions/partitions/dynamic-partitions.js";
import { declaredDynamicPartitions, requireDynamicPartitions } from "../definitions/partitions/declared-dynamic-partitions.js";
import type { DynamicPartitionsRequest } from "../definitions/run-request.js";
import type { Storage } from "../storage/storage.js";

/**
 * Reads the keys of every dynamic partitions definition of `defs` from `storage` into it, so that
 * runs created or executed next are checked against the instance's keys. One query per declared
 * name; none when the definitions declare no dynamic partitions. Throws StorageError when storage
 * cannot be read.
 * @example
 * await loadDynamicPartitions(defs, instance.storage);
 * const run = newRun({ defs, target: { assets: "tenant_report" }, partition: "acme" });
 */
export async function loadDynamicPartitions(defs: Definitions, storage: Storage): Promise<void> {
  const declared = [...declaredDynamicPartitions(defs.assets).values()];
  if (declared.length === 0) return;
  await Promise.all(
    declared.map(async ({ name, definitions }) => {
      const read = ++reads;
      const keys = await storage.getDynamicPartitions(name);
      for (const definition of definitions) {
        // Reads racing in one process (a server's requests) finish in any order: an older read
        // must not replace the keys of a newer one.
        if ((appliedRead.get(definition) ?? 0) > read) continue;
        appliedRead.set(definition, read);
        definition.useKeys(keys);
      }
    }),
  );
}

/** Reads of keys started in this process, numbered; and the latest applied to each definition. */
let reads = 0;
const appliedRead = new WeakMap<object, number>();

/**
 * Calls `fn` (synchronously) while the dynamic partitions of `defs` have the keys they would have
 * once `requests` are applied to their current keys, in order (within one request, its additions
 * then its removals), and restores their keys afterwards: the run requests of a sensor tick are
 * checked against the keys that tick adds. Throws UsageError for a name the definitions do not
 * declare, and the errors of checkDynamicPartitionKeys for malformed keys, before calling `fn`.
 */
export function withRequestedPartitions<T>(defs: Definitions, requests: readonly DynamicPartitionsRequest[], fn: () => T): T {
  if (requests.length === 0) return fn();
  const next = new Map<string, { definitions: readonly { keys(): string[]; useKeys(keys: readonly string[]): void }[]; before: string[]; keys: string[] }>();
  for (const [i, request] of requests.entries()) {
    const declared = requireDynamicPartitions(defs.assets, request.partitionsName);
    const add = checkDynamicPartitionKeys(declared.name, request.add ?? [], `dynamicPartitionsRequests[${i}].add`);
    const remove = new Set(checkDynamicPartitionKeys(declared.name, request.remove ?? [], `dynamicPartitionsRequests[${i}].remove`));
    const before = declared.definitions[0]!.keys();
    const entry = next.get(declared.name) ?? { definitions: declared.definitions, before, keys: before };
    const present = new Set(entry.keys);
    entry.keys = [...entry.keys, ...add.filter((k) => !present.has(k))].filter((k) => !remove.has(k));
    next.set(declared.name, entry);
  }
  try {
    for (const { definitions, keys } of next.values()) for (const d of definitions) d.useKeys(keys);
    return fn();
  } finally {
    for (const { definitions, before } of next.values()) for (const d of definitions) d.useKeys(before);
  }
}
