/**
 * The code of the multiprocess executor's child processes (started by codeLocationStepProcesses):
 * loads the run's code location, named by SLUICE_STEP_LOCATION, and serves the steps the run's
 * process sends it (see serveStepProcess).
 */
import { serveStepProcess } from "../execution/step-process-child.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { loadDefinitions } from "./load-definitions.js";
import { STEP_LOCATION_ENV, type StepLocation } from "./step-processes.js";

const given = process.env[STEP_LOCATION_ENV];
if (!given) throw new Error(`${STEP_LOCATION_ENV} is not set: this process is started by the multiprocess executor only.`);
const { location, cwd } = JSON.parse(given) as StepLocation;
serveStepProcess({
  loadDefinitions: async () => (await loadDefinitions(location, cwd)).defs,
  // A run's dynamic partition keys are read from storage, as the run's process read them.
  beforePrepare: loadDynamicPartitions,
});
