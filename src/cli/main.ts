import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import pc from "picocolors";
import { ErrorCode, isSluiceError } from "../definitions/errors.js";
import { registerAssetCommands } from "./asset-commands.js";
import { registerDaemonCommand } from "./daemon-command.js";
import { registerInstigatorCommands } from "./instigator-commands.js";
import { registerJobCommands } from "./job-commands.js";
import { registerMaterialize } from "./materialize-command.js";
import { registerRunCommands } from "./run-commands.js";
import { registerRunWorkerCommand } from "./run-worker-command.js";

/** Errors caused by what the user gave (usage, definitions, config): exit code 2. */
const USER_INPUT_ERRORS: readonly string[] = [
  ErrorCode.Usage,
  ErrorCode.Definition,
  ErrorCode.Load,
  ErrorCode.Config,
  ErrorCode.MissingEnvVar,
  ErrorCode.Selection,
  ErrorCode.RunNotFound,
];

/** Exit codes of CLI.md. */
export const ExitCode = { Success: 0, RunFailed: 1, BadInput: 2 } as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Builds the `sluice` command. */
export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Asset-based data orchestration for TypeScript")
    .version(version())
    .showHelpAfterError()
    .exitOverride();
  registerMaterialize(program);
  registerAssetCommands(program);
  registerJobCommands(program);
  registerRunCommands(program);
  registerInstigatorCommands(program);
  registerDaemonCommand(program);
  registerRunWorkerCommand(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Success;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is bad usage.
      return err.exitCode === 0 ? ExitCode.Success : ExitCode.BadInput;
    }
    if (isSluiceError(err)) {
      process.stderr.write(`${pc.red("Error:")} ${err.message}\n`);
      return USER_INPUT_ERRORS.includes(err.code) ? ExitCode.BadInput : ExitCode.RunFailed;
    }
    process.stderr.write(`${pc.red("Unexpected error:")} ${(err as Error)?.stack ?? String(err)}\n`);
    return ExitCode.RunFailed;
  }
}
