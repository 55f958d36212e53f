import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Storage } from "../storage/storage.js";
import { endRunsOfDeadProcesses } from "../runs/dead-run-processes.js";
import { readInstanceSettings, type InstanceSettings } from "./instance-settings.js";
import { describeStorageTarget, openStorageTarget, resolveStorageTarget, type StorageLocation } from "./storage-target.js";

/** Where an instance lives: `--home`, else SLUICE_HOME, else `./.sluice` of the working directory. */
export function resolveHome(options: { home?: string | undefined; cwd?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const chosen = options.home ?? process.env.SLUICE_HOME ?? ".sluice";
  return path.resolve(cwd, chosen);
}

/** Options of {@link Instance.open}. */
export interface InstanceOpenOptions {
  /** The home directory (`--home`); default SLUICE_HOME, else `./.sluice`. */
  home?: string | undefined;
  /** Working directory that relative paths and `.env` are read from; default the process's. */
  cwd?: string;
  /** Bring the storage schema up to date (default true); false leaves it for `sluice instance migrate`. */
  migrate?: boolean;
  /**
   * A Postgres server that is down or starting at open is waited for (up to its reconnect window)
   * instead of reported at once: for a run's process, started for a run claimed moments ago.
   */
  waitForServer?: boolean;
}

/**
 * A Sluice instance: its home directory, settings (`sluice.yaml`), storage (SQLite in the home,
 * or the Postgres database sluice.yaml names), and the directory where the default IO manager
 * keeps asset values.
 */
export class Instance {
  private constructor(
    /** Absolute path of the home directory. */
    readonly home: string,
    readonly settings: InstanceSettings,
    readonly storage: Storage,
    /** Where the storage lives, as it may be shown (a Postgres URL without its password). */
    readonly storageLocation: StorageLocation,
  ) {}

  /**
   * Opens (creating on first use) the instance at the resolved home, migrating its storage unless
   * told not to. Throws ConfigError for an invalid sluice.yaml, MissingEnvVarError for a storage URL
   * read from an unset variable, StorageError when the database cannot be reached.
   */
  static async open(options: InstanceOpenOptions = {}): Promise<Instance> {
    const home = resolveHome(options);
    mkdirSync(home, { recursive: true });
    const settings = readInstanceSettings(path.join(home, "sluice.yaml"));
    const target = resolveStorageTarget(settings, home, options.cwd);
    const migrate = options.migrate ?? true;
    const storage = await openStorageTarget(target, { migrate, waitForServer: options.waitForServer ?? false });
    // Every command looks once for runs whose process on this machine died without ending them.
    // Housekeeping: its failure must not stop the command; the next one (or the daemon) tries again.
    if (migrate) await endRunsOfDeadProcesses(storage).catch(() => undefined);
    return new Instance(home, settings, storage, describeStorageTarget(target));
  }

  /** Directory of the default IO manager: `HOME/storage`. */
  get valuesDir(): string {
    return path.join(this.home, "storage");
  }

  /** Closes storage. */
  async close(): Promise<void> {
    await this.storage.close();
  }
}
