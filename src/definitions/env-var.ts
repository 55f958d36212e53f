const ENV_BRAND = Symbol.for("sluice.env-var");

/** A reference to an environment variable, resolved when a run starts. Made by {@link EnvVar}. */
export interface EnvVarRef {
  readonly [ENV_BRAND]: true;
  readonly name: string;
}

/**
 * Reads an environment variable when a run starts, never at load time. Its value is never
 * stored, logged or shown: storage keeps the reference, and log lines are redacted.
 * @example
 * resources: { warehouse: { url: EnvVar("WAREHOUSE_URL") } }
 */
export function EnvVar(name: string): EnvVarRef & string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new TypeError(`EnvVar("${name}"): not a valid environment variable name.`);
  }
  // Typed as `string & EnvVarRef` so it fits where a config schema wants a string.
  return { [ENV_BRAND]: true, name, toJSON: () => ({ env: name }) } as unknown as EnvVarRef & string;
}

/**
 * True for an EnvVar reference, and for the `{"env": "NAME"}` form used in run config
 * (CLI `-c`, the launchpad), which is what an EnvVar becomes when serialized.
 */
export function envVarName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (ENV_BRAND in value) return (value as EnvVarRef).name;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "env" && typeof (value as { env: unknown }).env === "string") {
    return (value as { env: string }).env;
  }
  return undefined;
}
