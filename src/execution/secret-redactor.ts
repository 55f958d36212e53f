import { processSecrets, SecretMask } from "../definitions/secret-mask.js";

/**
 * The secrets of one run, or of one schedule or sensor evaluation: the values of the EnvVars it
 * resolved. Each is also added to the process's secrets ({@link processSecrets}), which storage
 * masks in everything it writes, whichever code writes it; `redact` masks this run's own in the
 * texts the run builds (log lines, error messages and stacks) before they go anywhere.
 */
export class SecretRedactor extends SecretMask {
  /** Remembers a value to hide, here and process-wide. */
  override add(value: string): void {
    super.add(value);
    processSecrets.add(value);
  }

  /**
   * Remembers a secret EnvVar's default, used because the variable is unset: masked in what this
   * run logs, but not process-wide. A default is stored and shown with its reference (in run
   * config, the API, the UI), so it is no secret, and masking it in storage would garble the very
   * config that names it.
   */
  addDefault(value: string): void {
    super.add(value);
  }

  /** The text with every secret of this run masked. */
  redact(text: string): string {
    return this.mask(text);
  }
}
