import type { Command } from "commander";
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadDotEnv } from "../instance/dotenv.js";
import { packageRoot } from "../instance/package-root.js";
import pc from "picocolors";
import { ErrorCode, isSluiceError, errorDetail } from "../definitions/errors.js";
import { routeUncaughtErrors } from "../execution/uncaught-errors.js";
import { dropOutputWhenClosed } from "./closed-output.js";
import { maskProcessOutput } from "../execution/masked-output.js";

/**
 * Each top-level command's module, loaded only when that command runs: a worker or a one-off
 * `job execute` should not pay for importing the daemon, the cron engine and every other command.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  materialize: async () => (await import("./materialize-command.js")).registerMaterialize,
  asset: async () => (await import("./asset-commands.js")).registerAssetCommands,
  check: async () => (await import("./check-commands.js")).registerCheckCommands,
  job: async () => (await import("./job-commands.js")).registerJobCommands,
  run: async () => (await import("./run-commands.js")).registerRunCommands,
  backfill: async () => (await import("./backfill-commands.js")).registerBackfillCommands,
  schedule: async () => (await import("./instigator-commands.js")).registerInstigatorCommands,
  sensor: async () => (await import("./instigator-commands.js")).registerInstigatorCommands,
  automation: async () => {
    const [{ registerAutomationCommands }, { addAutomationExplainCommands }] = await Promise.all([import("./automation-commands.js"), import("./automation-explain-commands.js")]);
    return (program) => addAutomationExplainCommands(registerAutomationCommands(program));
  },
  daemon: async () => (await import("./daemon-command.js")).registerDaemonCommand,
  dev: async () => (await import("./dev-commands.js")).registerDevCommands,
  server: async () => (await import("./dev-commands.js")).registerDevCommands,
  start: async () => (await import("./background-commands.js")).registerBackgroundCommands,
  stop: async () => (await import("./background-commands.js")).registerBackgroundCommands,
  status: async () => (await import("./background-commands.js")).registerBackgroundCommands,
  worker: async () => (await import("./worker-command.js")).registerWorkerCommand,
  instance: async () => (await import("./instance-commands.js")).registerInstanceCommands,
  partitions: async () => (await import("./partition-commands.js")).registerPartitionCommands,
};

/** Errors caused by what the user gave (usage, definitions, config): exit code 2. */
const USER_INPUT_ERRORS: readonly string[] = [
  ErrorCode.Usage,
  ErrorCode.Definition,
  ErrorCode.Load,
  ErrorCode.Config,
  ErrorCode.MissingEnvVar,
  ErrorCode.Selection,
  ErrorCode.RunNotFound,
  ErrorCode.BackfillNotFound,
  ErrorCode.Partition,
  ErrorCode.InputTooLarge,
];

/** A commander error (help, version, bad usage), told by its code: commander itself loads lazily. */
function isCommanderError(err: unknown): err is { exitCode: number } {
  const { code, exitCode } = (err ?? {}) as { code?: unknown; exitCode?: unknown };
  return typeof code === "string" && code.startsWith("commander.") && typeof exitCode === "number";
}

/** Exit codes of CLI.md. */
export const ExitCode = { Success: 0, RunFailed: 1, BadInput: 2 } as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * Builds the `sluice` command, with only the command named by `argv[0]` registered when it is a
 * known one (every command otherwise, for help and errors).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const { Command } = await import("commander");
  const program = new Command("sluice")
    .description("Asset-based data orchestration for TypeScript")
    .version(version())
    .showHelpAfterError()
    .exitOverride();
  const first = argv[0];
  const wanted = first !== undefined && first in COMMANDS ? [COMMANDS[first]!] : [...new Set(Object.values(COMMANDS))];
  const registered = new Set<(program: Command) => void>();
  for (const load of wanted) {
    const register = await load();
    // schedule and sensor share one module that registers both.
    if (registered.has(register)) continue;
    registered.add(register);
    register(program);
  }
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  dropOutputWhenClosed();
  maskProcessOutput();
  // An error user code throws where nothing catches it fails the step or run that owns it, or is
  // printed (secrets masked) and makes the exit code 1; it never ends the process with a raw stack.
  routeUncaughtErrors();
  try {
    // CLI.md: `.env` in the working directory comes first, so it may also set SLUICE_HOME.
    loadDotEnv(process.cwd());
    if (argv[0] === "__run-worker") {
      // A run's own process, started once per run by a launcher with arguments it controls: it
      // skips loading and building the command-line parser.
      await (await import("./run-worker-command.js")).runWorkerCommand(argv.slice(1));
    } else {
      await (await buildProgram(argv)).parseAsync(argv, { from: "user" });
    }
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Success;
  } catch (err) {
    if (isCommanderError(err)) {
      // Help and version are successes; every other commander error is bad usage.
      return err.exitCode === 0 ? ExitCode.Success : ExitCode.BadInput;
    }
    if (isSluiceError(err)) {
      process.stderr.write(`${pc.red("Error:")} ${err.message}\n`);
      return USER_INPUT_ERRORS.includes(err.code) ? ExitCode.BadInput : ExitCode.RunFailed;
    }
    process.stderr.write(`${pc.red("Unexpected error:")} ${errorDetail(err)}\n`);
    return ExitCode.RunFailed;
  }
}
