import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

/**
 * Loads `.env` from a directory into process.env. Variables already set win, as in Dagster and
 * most tools, so a deployment's environment overrides the file. Returns the names it set.
 */
export function loadDotEnv(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync(path.join(dir, ".env"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (process.env[name] === undefined) {
      process.env[name] = value;
      set.push(name);
    }
  }
  return set;
}
