/**
 * The main project: data in ./data (or CSV_DUCKDB_DATA_DIR). Served on port 3000.
 *   npx sluice materialize -f definitions.ts      npx sluice start -f definitions.ts --port 3000
 */
import path from "node:path";
import { definitionsFor } from "./pipeline.js";

export default definitionsFor(process.env.CSV_DUCKDB_DATA_DIR ?? path.join(import.meta.dirname, "data"));
