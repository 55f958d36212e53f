/** Shortest secret we redact: shorter values would garble ordinary text (and are weak secrets). */
const MIN_SECRET_LENGTH = 4;
const MASK = "********";

/**
 * Replaces the values of resolved environment variables with a mask in every text that leaves the
 * process (log lines, error messages and stacks), so secrets never reach storage or the UI.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Remembers a value to hide. */
  add(value: string): void {
    if (value.length >= MIN_SECRET_LENGTH) this.secrets.add(value);
  }

  /** True when there is nothing to hide (the common case: skip the work). */
  get empty(): boolean {
    return this.secrets.size === 0;
  }

  /** The text with every known secret masked. */
  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }
}
