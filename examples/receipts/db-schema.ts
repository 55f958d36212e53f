/** The receipts schema in Postgres, created by the first step that needs it. */
import type { PoolClient } from "pg";

/** Creates the schema and tables when missing. */
export async function ensureSchema(client: PoolClient): Promise<void> {
  await client.query("CREATE SCHEMA IF NOT EXISTS receipts");
  await client.query(`CREATE TABLE IF NOT EXISTS receipts.messages (
    id text PRIMARY KEY, sender text NOT NULL, sent_at timestamptz NOT NULL, text text NOT NULL, source_file text NOT NULL)`);
  await client.query(`CREATE TABLE IF NOT EXISTS receipts.attachments (
    message_id text NOT NULL REFERENCES receipts.messages (id), file_name text NOT NULL,
    media_type text NOT NULL, content bytea NOT NULL, PRIMARY KEY (message_id, file_name))`);
  await client.query(`CREATE TABLE IF NOT EXISTS receipts.receipts (
    message_id text NOT NULL, file_name text NOT NULL, merchant text NOT NULL, receipt_date date NOT NULL,
    currency char(3) NOT NULL, total numeric(12, 2) NOT NULL, items jsonb NOT NULL, run_id text NOT NULL,
    PRIMARY KEY (message_id, file_name), FOREIGN KEY (message_id, file_name) REFERENCES receipts.attachments)`);
  await client.query(`CREATE TABLE IF NOT EXISTS receipts.extraction_failures (
    message_id text NOT NULL, file_name text NOT NULL, reason text NOT NULL, run_id text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now())`);
}
