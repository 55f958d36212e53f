import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StepProcessLauncher } from "../step-process-launcher.js";

/**
 * A launcher of step processes for tests: each child runs the TypeScript sources under tsx and
 * loads the definitions exported by default from `defsFile` (an absolute path to a .ts file).
 * `env` is added to the child's environment. What the children print is passed on to this
 * process's stdout and stderr, and kept for `printed()`.
 */
export function fixtureStepProcesses(defsFile: string, env: Record<string, string> = {}): StepProcessLauncher & { printed(): string } {
  const entry = fileURLToPath(new URL("./step-process-fixture.ts", import.meta.url));
  const chunks: Buffer[] = [];
  return {
    spawn: () => {
      const child = fork(entry, [], {
        execArgv: ["--import", "tsx"],
        serialization: "advanced",
        env: { ...process.env, ...env, SLUICE_TEST_STEP_DEFS: defsFile },
        stdio: ["inherit", "pipe", "pipe", "ipc"],
      });
      for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
        from?.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          to.write(chunk);
        });
      }
      return child;
    },
    printed: () => Buffer.concat(chunks).toString("utf8"),
  };
}
