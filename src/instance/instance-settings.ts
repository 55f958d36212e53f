import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { ConfigError } from "../definitions/errors.js";

/** Schema of `SLUICE_HOME/sluice.yaml`. Unknown keys are errors, so a typo never passes silently. */
export const instanceSettingsSchema = z
  .object({
    storage: z
      .object({
        sqlite: z
          .object({
            /** Database file, relative to the home directory. */
            path: z.string().min(1).default("sluice.db"),
          })
          .strict(),
      })
      .strict()
      .default({ sqlite: { path: "sluice.db" } }),
    execution: z
      .object({
        max_concurrent: z.number().int().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Parsed `sluice.yaml` (all defaults applied). */
export type InstanceSettings = z.output<typeof instanceSettingsSchema>;

/** Reads and validates a `sluice.yaml`; a missing file means defaults. Throws ConfigError naming file and path. */
export function readInstanceSettings(file: string): InstanceSettings {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return instanceSettingsSchema.parse({});
    throw err;
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`, file);
  }
  const result = instanceSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`${file} is invalid:\n${lines.join("\n")}`, result.error.issues[0]?.path.map(String).join(".") ?? "");
}
