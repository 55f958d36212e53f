#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
// The command is done. User code may have left timers or sockets behind (a step abandoned when it
// failed, a client its teardown never closed): they must not keep the process, and so the shell or
// the daemon waiting for it, alive. Exit once what was written has been handed to the OS.
process.stdout.write("", () => process.stderr.write("", () => process.exit()));
