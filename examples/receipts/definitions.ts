/**
 * Receipts from chat messages. Reads from the environment or this folder's .env (see .env.example):
 * RECEIPTS_DATABASE_URL and RECEIPTS_LLM_API_KEY (secrets, read with EnvVar: never logged or
 * stored) and RECEIPTS_LLM_BASE_URL (default https://api.anthropic.com/).
 */
import { configured, defineDefinitions, EnvVar } from "sluice";
import { httpResource } from "sluice/http";
import { postgresResource } from "sluice/postgres";
import { ANTHROPIC_VERSION } from "./anthropic-messages.js";
import { assets, checks } from "./assets.js";

export default defineDefinitions({
  assets,
  assetChecks: checks,
  resources: {
    postgres: configured(postgresResource, { url: EnvVar("RECEIPTS_DATABASE_URL") }),
    llm: configured(httpResource, {
      baseUrl: EnvVar("RECEIPTS_LLM_BASE_URL", { secret: false, default: "https://api.anthropic.com/" }),
      token: EnvVar("RECEIPTS_LLM_API_KEY"),
      authHeader: "x-api-key",
      headers: { "anthropic-version": ANTHROPIC_VERSION },
      timeoutMs: 60_000,
      maxRetries: 4,
      initialDelayMs: 1_000,
    }),
  },
});
