import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const loader = fileURLToPath(new URL("./load-pg.ts", import.meta.url));

describe("loadPg", () => {
  it("loads pg without loading undici, and leaves Response usable", () => {
    // A fresh process: this one (vitest) may have loaded either already.
    const script = [
      `import { loadPg } from ${JSON.stringify(loader)};`,
      `const undici = () => process.moduleLoadList.some((m) => m.includes("undici"));`,
      `const pg = loadPg();`,
      `const afterLoad = undici();`,
      `const response = new Response("ok").status;`,
      `console.log(JSON.stringify({ pool: typeof pg.Pool, afterLoad, response, afterUse: undici() }));`,
    ].join("\n");
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ pool: "function", afterLoad: false, response: 200, afterUse: true });
  });
});
