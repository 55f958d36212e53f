const ENV_BRAND = Symbol.for("sluice.env-var");

/** How an {@link EnvVar} is read. */
export interface EnvVarOptions {
  /**
   * Whether the value is a secret (default true): a secret's value is masked in every stored text
   * (log lines, error messages, metadata). Give `false` for values such as URLs or names, which
   * would otherwise be masked wherever they appear.
   */
  secret?: boolean;
  /**
   * The value when the variable is not set. It is stored and shown with the reference (in run
   * config, the API, the UI), so it must not be a real secret; a secret's default is still masked in
   * log lines when a run uses it.
   */
  default?: string;
}

/** A reference to an environment variable, resolved when a run starts. Made by {@link EnvVar}. */
export interface EnvVarRef {
  readonly [ENV_BRAND]: true;
  readonly name: string;
  readonly secret: boolean;
  readonly default?: string | undefined;
}

/** What an EnvVar reference is in stored and API JSON: `{"env": NAME}`, plus its options when set. */
export interface EnvVarJson {
  env: string;
  secret?: false;
  default?: string;
}

/**
 * Reads an environment variable when a run starts, never at load time. By default its value is a
 * secret: never stored, logged or shown (storage keeps the reference, and log lines are redacted).
 * @example
 * resources: { warehouse: { url: EnvVar("WAREHOUSE_URL") } }
 * resources: { api: { baseUrl: EnvVar("API_BASE_URL", { secret: false, default: "https://api.example.com" }) } }
 */
export function EnvVar(name: string, options: EnvVarOptions = {}): EnvVarRef & string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new TypeError(`EnvVar("${name}"): not a valid environment variable name.`);
  }
  if (options.default !== undefined && typeof options.default !== "string") {
    throw new TypeError(`EnvVar("${name}"): default must be a string, as environment variables are.`);
  }
  const secret = options.secret !== false;
  const json = envVarJson({ name, secret, default: options.default });
  // Typed as `string & EnvVarRef` so it fits where a config schema wants a string.
  return { [ENV_BRAND]: true, name, secret, default: options.default, toJSON: () => json } as unknown as EnvVarRef & string;
}

/**
 * The reference an EnvVar stands for, or undefined for any other value. Also reads the JSON form
 * used in run config (CLI `-c`, the launchpad): `{"env": "NAME"}`, optionally with
 * `"secret": false` and a `"default"` string, which is what an EnvVar becomes when serialized.
 */
export function envVarRef(value: unknown): { name: string; secret: boolean; default?: string | undefined } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (ENV_BRAND in value) {
    const ref = value as EnvVarRef;
    return { name: ref.name, secret: ref.secret !== false, default: ref.default };
  }
  const record = value as Record<string, unknown>;
  if (typeof record.env !== "string") return undefined;
  if (!Object.keys(record).every((k) => k === "env" || k === "secret" || k === "default")) return undefined;
  if (record.secret !== undefined && typeof record.secret !== "boolean") return undefined;
  if (record.default !== undefined && typeof record.default !== "string") return undefined;
  return { name: record.env, secret: record.secret !== false, default: record.default as string | undefined };
}

/** The variable's name when `value` is an EnvVar reference (see {@link envVarRef}), else undefined. */
export function envVarName(value: unknown): string | undefined {
  return envVarRef(value)?.name;
}

/** The JSON form of an EnvVar reference: `{"env": NAME}` plus its options when set. */
export function envVarJson(ref: { name: string; secret: boolean; default?: string | undefined }): EnvVarJson {
  const json: EnvVarJson = { env: ref.name };
  if (!ref.secret) json.secret = false;
  if (ref.default !== undefined) json.default = ref.default;
  return json;
}
