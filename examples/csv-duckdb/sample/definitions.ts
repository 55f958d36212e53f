/**
 * The sample project: the same pipeline over its own small data set in ./data (or
 * CSV_DUCKDB_SAMPLE_DATA_DIR), with its own instance (sample/.sluice). Served on port 3001.
 */
import path from "node:path";
import { definitionsFor } from "../pipeline.js";

export default definitionsFor(process.env.CSV_DUCKDB_SAMPLE_DATA_DIR ?? path.join(import.meta.dirname, "data"));
