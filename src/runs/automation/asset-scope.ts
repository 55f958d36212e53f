import type { AssetDefinition } from "../../definitions/asset.js";
import { effectiveMapping } from "../../definitions/partitions/default-mapping.js";
import type { PartitionMapping, PartitionPair } from "../../definitions/partitions/partition-mapping.js";
import { samePartitions } from "../../definitions/partitions/partitions-definition.js";
import { UNPARTITIONED_KEY } from "./automation-facts.js";

/** What every key reads of an unpartitioned dep (shared: never modified). */
const ONLY_KEY: string[] = [UNPARTITIONED_KEY];

/** How a downstream asset reads one of its deps, per partition. */
export interface DepReading {
  dep: AssetDefinition;
  /**
   * True when the dep can run in the same run as the downstream asset: both unpartitioned, or the
   * same partitions read one to one (then the dep's key is the downstream's).
   */
  sameRun: boolean;
  /** The dep's keys that the downstream key `key` (`""`: unpartitioned) reads. */
  upstreamKeys(key: string): string[];
}

/**
 * The deps of assets and how they read them, worked out once per evaluation (the mapping of each
 * pair is resolved once, not per partition).
 */
export class DepReadings {
  readonly #assets: ReadonlyMap<string, AssetDefinition>;
  readonly #now: Date;
  readonly #cache = new Map<string, DepReading[]>();

  constructor(assets: ReadonlyMap<string, AssetDefinition>, now: Date) {
    this.#assets = assets;
    this.#now = now;
  }

  /** Every dep (inputs and deps) of `def`, in declaration order. */
  of(def: AssetDefinition): DepReading[] {
    let readings = this.#cache.get(def.key);
    if (readings === undefined) {
      readings = [...new Set([...Object.values(def.ins), ...def.deps])].map((key) => this.#reading(def, this.#assets.get(key)!));
      this.#cache.set(def.key, readings);
    }
    return readings;
  }

  #reading(down: AssetDefinition, dep: AssetDefinition): DepReading {
    const now = this.#now;
    if (!dep.partitions) return { dep, sameRun: !down.partitions, upstreamKeys: () => ONLY_KEY };
    const pair: PartitionPair = { upstreamAsset: dep.key, upstream: dep.partitions, downstreamAsset: down.key, downstream: down.partitions };
    const mapping: PartitionMapping = effectiveMapping(down.partitionMappings[dep.key], pair);
    const sameRun = down.partitions !== undefined && samePartitions(dep.partitions, down.partitions) && mapping.type === "identity";
    if (sameRun) return { dep, sameRun, upstreamKeys: (key) => (dep.partitions!.has(key, now) ? [key] : []) };
    const memo = new Map<string, string[]>();
    return {
      dep,
      sameRun,
      upstreamKeys: (key) => {
        let keys = memo.get(key);
        if (keys === undefined) {
          keys = mapping.upstreamKeys(pair, down.partitions ? key : null, now);
          memo.set(key, keys);
        }
        return keys;
      },
    };
  }
}
