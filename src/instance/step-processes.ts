import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { StepProcessLauncher } from "../execution/step-process-launcher.js";
import type { CodeLocation } from "./load-definitions.js";
import { packageRoot } from "./package-root.js";

/** The environment variable that tells a step process which code location to load. */
export const STEP_LOCATION_ENV = "SLUICE_STEP_LOCATION";

/** What a step process loads: the code location, resolved from `cwd` as the run's process resolved it. */
export interface StepLocation {
  location: CodeLocation;
  cwd: string;
}

/**
 * Starts the multiprocess executor's child processes for definitions loaded from `location`: each
 * runs step-process-entry, from the bundle in dist/, or from the TypeScript sources under tsx when
 * this module is one (tests import src/). The child inherits this process's environment and
 * working directory, so its `.env`, EnvVars and relative paths resolve alike.
 */
export function codeLocationStepProcesses(location: CodeLocation, cwd: string): StepProcessLauncher {
  const here = import.meta.url;
  const fromSources = here.endsWith(".ts");
  const entry = fromSources ? fileURLToPath(new URL("./step-process-entry.ts", here)) : path.join(packageRoot(), "dist", "instance", "step-process-entry.js");
  const given: StepLocation = { location: { file: location.file, module: location.module }, cwd };
  return {
    spawn: () =>
      fork(entry, [], {
        // Not this process's flags (an inspector port, say, would clash); the sources need tsx.
        execArgv: fromSources ? ["--import", "tsx"] : [],
        serialization: "advanced",
        env: { ...process.env, [STEP_LOCATION_ENV]: JSON.stringify(given) },
      }),
  };
}
