/** Logging for user code: each line becomes a LOG event of the run, tied to its step. */
export interface StepLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
