import { mkdirSync } from "node:fs";
import path from "node:path";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../storage/storage.js";
import { readInstanceSettings, type InstanceSettings } from "./instance-settings.js";

/** Where an instance lives: `--home`, else SLUICE_HOME, else `./.sluice` of the working directory. */
export function resolveHome(options: { home?: string | undefined; cwd?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const chosen = options.home ?? process.env.SLUICE_HOME ?? ".sluice";
  return path.resolve(cwd, chosen);
}

/**
 * A Sluice instance: its home directory, settings (`sluice.yaml`), storage, and the directory
 * where the default IO manager keeps asset values.
 */
export class Instance {
  private constructor(
    /** Absolute path of the home directory. */
    readonly home: string,
    readonly settings: InstanceSettings,
    readonly storage: Storage,
  ) {}

  /** Opens (creating on first use) the instance at the resolved home, migrating its storage. */
  static async open(options: { home?: string | undefined; cwd?: string } = {}): Promise<Instance> {
    const home = resolveHome(options);
    mkdirSync(home, { recursive: true });
    const settings = readInstanceSettings(path.join(home, "sluice.yaml"));
    const storage = await openSqliteStorage(path.resolve(home, settings.storage.sqlite.path));
    return new Instance(home, settings, storage);
  }

  /** Directory of the default IO manager: `HOME/storage`. */
  get storageDir(): string {
    return path.join(this.home, "storage");
  }

  /** Closes storage. */
  async close(): Promise<void> {
    await this.storage.close();
  }
}
