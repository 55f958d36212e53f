import type { ConfigSchema } from "./config-schema.js";

interface SchemaDef {
  type: string;
  innerType?: ConfigSchema;
  defaultValue?: unknown;
  shape?: Record<string, ConfigSchema>;
  in?: ConfigSchema;
}

/** A default value that fails its own schema. */
export interface BadDefault {
  /** Path of the field, e.g. `["limits", "max"]`. */
  path: string[];
  message: string;
}

/**
 * Finds `.default(...)` values that their own schema rejects. zod 4 returns defaults without
 * parsing them, so a bad default would otherwise surface only inside a run.
 */
export function findBadDefaults(schema: ConfigSchema, path: string[] = []): BadDefault[] {
  const def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  switch (def.type) {
    case "default":
    case "prefault": {
      const inner = def.innerType!;
      const result = inner.safeParse(def.defaultValue);
      const own: BadDefault[] = result.success
        ? []
        : [{ path, message: result.error.issues.map((i) => i.message).join("; ") }];
      return [...own, ...findBadDefaults(inner, path)];
    }
    case "object":
      return Object.entries(def.shape ?? {}).flatMap(([name, field]) => findBadDefaults(field, [...path, name]));
    case "optional":
    case "nullable":
    case "readonly":
    case "nonoptional":
      return def.innerType ? findBadDefaults(def.innerType, path) : [];
    case "pipe":
      return def.in ? findBadDefaults(def.in, path) : [];
    default:
      return [];
  }
}
