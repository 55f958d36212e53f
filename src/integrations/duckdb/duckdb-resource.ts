import { z } from "zod";
import { resource } from "../../index.js";
import { duckdbConfigShape } from "./duckdb-config.js";
import { DuckDBDatabase } from "./duckdb-database.js";
import { loadDuckDB } from "./duckdb-instances.js";


/**
 * A DuckDB database (`@duckdb/node-api`, installed by the project): a file or `:memory:`, with a
 * connection per `withConnection()` call and a wait with backoff while another process holds the
 * file's lock. Its value is a {@link DuckDBDatabase}.
 * @example
 * import { duckdbResource } from "sluice/duckdb";
 * const warehouse = configured(duckdbResource, { path: "data/warehouse.duckdb" });
 * const orders = asset({
 *   key: "orders_count",
 *   resources: { warehouse },
 *   run: async (_in, { resources }) => resources.warehouse.query("select count(*) as n from raw.orders"),
 * });
 */
export const duckdbResource = resource({
  description: "A DuckDB database (a file or :memory:)",
  config: z.object(duckdbConfigShape),
  setup: async (config, { signal }) => {
    // Fails the run's resource setup, naming the package, when it is not installed.
    await loadDuckDB();
    return new DuckDBDatabase(config, signal);
  },
  teardown: (database) => database.close(),
});
