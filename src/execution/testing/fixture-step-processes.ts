import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StepProcessLauncher } from "../step-process-launcher.js";

/**
 * A launcher of step processes for tests: each child runs the TypeScript sources under tsx and
 * loads the definitions exported by default from `defsFile` (an absolute path to a .ts file).
 * `env` is added to the child's environment.
 */
export function fixtureStepProcesses(defsFile: string, env: Record<string, string> = {}): StepProcessLauncher {
  const entry = fileURLToPath(new URL("./step-process-fixture.ts", import.meta.url));
  return {
    spawn: () =>
      fork(entry, [], {
        execArgv: ["--import", "tsx"],
        serialization: "advanced",
        env: { ...process.env, ...env, SLUICE_TEST_STEP_DEFS: defsFile },
      }),
  };
}
