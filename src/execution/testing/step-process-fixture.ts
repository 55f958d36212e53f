/**
 * The entry of the multiprocess executor's child processes in tests: loads the definitions file
 * named by SLUICE_TEST_STEP_DEFS (its default export), where the instance layer would load the
 * run's code location.
 */
import { pathToFileURL } from "node:url";
import { isDefinitions } from "../../definitions/definitions.js";
import { serveStepProcess } from "../step-process-child.js";

serveStepProcess({
  loadDefinitions: async () => {
    const file = process.env.SLUICE_TEST_STEP_DEFS;
    if (!file) throw new Error("SLUICE_TEST_STEP_DEFS names no definitions file.");
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (!isDefinitions(mod.default)) throw new Error(`${file} has no default export made by defineDefinitions().`);
    return mod.default;
  },
});
