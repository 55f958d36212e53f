import { envVarRef } from "./env-var.js";

/** Shortest secret masked: shorter values would garble ordinary text (and are weak secrets). */
const MIN_SECRET_LENGTH = 4;

/** What a secret is replaced with. */
export const SECRET_MASK = "********";

/**
 * A set of secret values, and the forms they take in stored text: as they are, escaped inside a
 * JSON string (a quote or a backslash in a password), and URL-encoded (a password in a URL).
 * Masking replaces each form with {@link SECRET_MASK}, longest first, so a secret that contains
 * another is masked whole.
 */
export class SecretMask {
  #forms: string[] = [];
  readonly #values = new Set<string>();

  /** Remembers a value to hide (values shorter than 4 characters are ignored). */
  add(value: string): void {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return;
    this.#values.add(value);
    const forms = new Set(this.#forms);
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    forms.add(encodeURIComponent(value));
    this.#forms = [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  }

  /** True when there is nothing to hide (the common case: callers skip the work). */
  get empty(): boolean {
    return this.#values.size === 0;
  }

  /** The text with every form of every secret masked. */
  mask(text: string): string {
    if (this.#forms.length === 0) return text;
    let out = text;
    for (const form of this.#forms) {
      if (out.includes(form)) out = out.split(form).join(SECRET_MASK);
    }
    return out;
  }

  /**
   * A copy of a JSON-like value with every string in it (object keys included) masked; the value
   * itself when nothing needed masking.
   */
  maskValue<T>(value: T): T {
    if (this.#forms.length === 0) return value;
    return this.#maskDeep(value, 0) as T;
  }

  #maskDeep(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.mask(value);
    if (value === null || typeof value !== "object" || depth > 64) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const masked = this.#maskDeep(item, depth + 1);
        if (masked !== item) changed = true;
        return masked;
      });
      return changed ? out : value;
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null) return value;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const maskedKey = this.mask(key);
      const masked = this.#maskDeep(item, depth + 1);
      if (maskedKey !== key || masked !== item) changed = true;
      out[maskedKey] = masked;
    }
    return changed ? out : value;
  }
}

/**
 * The secrets this process knows: the value of every secret `EnvVar` it resolved for a run, a
 * schedule or a sensor, and of those its definitions and launched runs refer to. Storage masks
 * them in everything it writes, the CLI in what it prints, the server in what it answers.
 */
export const processSecrets: SecretMask = sharedProcessSecrets();

/**
 * One set per process even when two copies of Sluice are loaded (the CLI's, and the one a project's
 * definitions import): a secret that one copy resolves must be masked by the other's storage.
 */
function sharedProcessSecrets(): SecretMask {
  const key = Symbol.for("sluice.process-secrets");
  const global = globalThis as { [key]?: SecretMask };
  return (global[key] ??= new SecretMask());
}

/**
 * Adds to {@link processSecrets} the current value of every secret EnvVar reference found in
 * `value` (deeply: resource config, run config). Defaults are not added: they are stored and shown
 * with the reference, so they are no secrets. Cycles and depth are bounded.
 */
export function registerEnvSecrets(value: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object" || depth > 64 || seen.has(v)) return;
    seen.add(v);
    const ref = envVarRef(v);
    if (ref !== undefined) {
      const resolved = env[ref.name];
      if (ref.secret && resolved !== undefined) processSecrets.add(resolved);
      return;
    }
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
}
