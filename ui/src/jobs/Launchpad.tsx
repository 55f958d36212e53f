import { useMemo, useRef, useState, type UIEvent } from "react";
import { useNavigate } from "react-router";
import { api, ApiError } from "../api";
import { ErrorBox } from "../components/common";
import { PartitionPicker } from "../partitions/PartitionPicker";
import { useAssetPartitions } from "../partitions/use-asset-partitions";
import type { RunAnswerJson } from "../types";
import { checkAgainstSchema, initialRunConfig, launchSchema, type JsonSchema } from "./config-schema";
import { runConfigSchemaOf, type JobJson } from "./job-types";
import { parseJsonText, type JsonSyntaxError } from "./json-text";
import "./jobs.css";

/** The starting text of the editor: the schema's defaults and the job's default config, as JSON. */
function initialText(job: JobJson): string {
  return `${JSON.stringify(initialRunConfig(runConfigSchemaOf(job), job.defaultConfig), null, 2)}\n`;
}

/** Offset in `text` of the start of a 1-based line. */
function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

/** Parses "team:data, env:prod" into tags; the first bad entry is reported. */
function parseTags(text: string): { tags: Record<string, string> } | { error: string } {
  const tags: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf(":");
    if (at <= 0) return { error: `Tag "${part}" is not key:value.` };
    tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return { tags };
}

/** A config field for the reference beside the editor. */
interface FieldDoc {
  path: string;
  type: string;
  required: boolean;
  defaultValue: unknown;
  description: string | undefined;
}

/**
 * Config fields of each step (`ops`) and resource (`resources`), with type and default, for the
 * reference beside the editor. Resource fields are never required: run config only overrides the
 * values the definitions bind.
 */
function fieldsOf(job: JobJson): { ops: FieldDoc[]; resources: FieldDoc[] } {
  const out: { ops: FieldDoc[]; resources: FieldDoc[] } = { ops: [], resources: [] };
  const walk = (list: FieldDoc[], schema: JsonSchema, path: string, required: boolean) => {
    if (schema.properties && Object.keys(schema.properties).length > 0) {
      for (const [name, child] of Object.entries(schema.properties)) walk(list, child, `${path}.${name}`, required && (schema.required ?? []).includes(name));
      return;
    }
    const type = schema.type
      ? [schema.type].flat().join(" | ")
      : schema.enum
        ? schema.enum.map((v) => JSON.stringify(v)).join(" | ")
        : (schema.anyOf ?? schema.oneOf)?.map((s) => [s.type ?? "any"].flat().join(" | ")).join(" | ") ?? "any";
    list.push({ path, type, required, defaultValue: schema.default, description: schema.description });
  };
  const schema = runConfigSchemaOf(job);
  for (const section of ["ops", "resources"] as const) {
    for (const [name, entry] of Object.entries(schema.properties?.[section]?.properties ?? {})) {
      const config = entry.properties?.config;
      if (config) walk(out[section], config, `${section}.${name}.config`, section === "ops");
    }
  }
  return out;
}

/** One section of the config reference. */
function FieldList({ fields }: { fields: FieldDoc[] }) {
  return (
    <ul className="schema-fields">
      {fields.map((f) => (
        <li key={f.path}>
          <span className="mono">{f.path}</span>
          <span className="muted small">
            {" "}
            {f.type}
            {f.required ? ", required" : ""}
          </span>
          {f.defaultValue !== undefined && (
            <div className="muted small schema-default" title={JSON.stringify(f.defaultValue)}>
              default {JSON.stringify(f.defaultValue)}
            </div>
          )}
          {f.description && <div className="small">{f.description}</div>}
        </li>
      ))}
    </ul>
  );
}

/**
 * A job's launchpad: a JSON editor of the run config, pre-filled from the schema's defaults; a
 * syntax error shows at once with its line and column, schema mismatches while typing, and the
 * server's verdict (a CONFIG_ERROR names the path at fault; no run is created) after "Launch".
 * A launched run opens its page. A partitioned job launches through the partition picker: one key
 * (with this config and tags) or a backfill (with the job's default config).
 */
export function Launchpad({ job }: { job: JobJson }) {
  const navigate = useNavigate();
  const [text, setText] = useState(() => initialText(job));
  const [tagsText, setTagsText] = useState("");
  const [serverError, setServerError] = useState<ApiError>();
  const [launching, setLaunching] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);

  const parsed = useMemo(() => parseJsonText(text), [text]);
  const syntaxError: JsonSyntaxError | null = parsed.ok ? null : parsed.error;
  const notObject = parsed.ok && (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value));
  const problems = useMemo(() => (parsed.ok && !notObject ? checkAgainstSchema(parsed.value, launchSchema(runConfigSchemaOf(job))) : []), [parsed, notObject, job]);
  const tags = parseTags(tagsText);
  const fields = useMemo(() => fieldsOf(job), [job]);
  const lineCount = text.split("\n").length;
  // A partitioned job's keys are those of its assets (a job has one partitions definition).
  const partitionedStep = job.partitions ? (job.steps.find((s) => s.kind === "asset")?.key ?? null) : null;
  const partitionKeys = useAssetPartitions(partitionedStep);

  const goTo = (line: number, column: number) => {
    const el = editor.current;
    if (!el) return;
    const offset = offsetOfLine(text, line) + column - 1;
    el.focus();
    el.setSelectionRange(offset, Math.min(text.length, offset + 1));
  };
  const syncGutter = (e: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
  };
  const edit = (next: string) => {
    setText(next);
    setServerError(undefined);
  };

  const launch = async () => {
    if (!parsed.ok || notObject || "error" in tags) return;
    setLaunching(true);
    setServerError(undefined);
    try {
      const body: Record<string, unknown> = { job: job.name, config: parsed.value };
      if (Object.keys(tags.tags).length > 0) body.tags = tags.tags;
      const res = await api<RunAnswerJson>("/runs", { body });
      navigate(`/runs/${res.run.runId}`);
    } catch (err) {
      setServerError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };

  return (
    <div className="launchpad panel" data-testid="launchpad">
      <div className="launchpad-main">
        <div className="row launchpad-toolbar">
          <strong>Run config</strong>
          <span className="muted small">JSON · pre-filled with the defaults of the job's config schema</span>
          <span className="spacer" />
          <button type="button" onClick={() => parsed.ok && edit(`${JSON.stringify(parsed.value, null, 2)}\n`)} disabled={!parsed.ok}>
            Format
          </button>
          <button type="button" onClick={() => edit(initialText(job))} data-testid="reset-config">
            Reset to defaults
          </button>
        </div>
        <div className={`config-editor${syntaxError ? " has-error" : ""}`} style={{ height: Math.min(Math.max(lineCount, 10), 30) * 18 + 18 }}>
          <div className="config-gutter mono" ref={gutter} aria-hidden="true">
            {Array.from({ length: lineCount }, (_, i) => (
              <div key={i} className={syntaxError?.line === i + 1 ? "error-line" : undefined}>
                {i + 1}
              </div>
            ))}
          </div>
          <textarea
            ref={editor}
            className="mono"
            value={text}
            onChange={(e) => edit(e.target.value)}
            onScroll={syncGutter}
            spellCheck={false}
            wrap="off"
            aria-label="Run config (JSON)"
            aria-invalid={syntaxError !== null || notObject}
            data-testid="config-editor"
          />
        </div>
        {syntaxError && (
          <div className="config-message bad" role="alert" data-testid="config-syntax-error">
            <strong>
              JSON syntax error at line {syntaxError.line}, column {syntaxError.column}:
            </strong>{" "}
            {syntaxError.message}.{" "}
            <button type="button" className="link-button" onClick={() => goTo(syntaxError.line, syntaxError.column)}>
              Show
            </button>
          </div>
        )}
        {notObject && (
          <div className="config-message bad" role="alert" data-testid="config-syntax-error">
            The run config must be a JSON object, like {"{\"ops\": {…}}"}.
          </div>
        )}
        {problems.length > 0 && (
          <div className="config-message warn" data-testid="config-problems">
            <strong>Does not match the job's config schema</strong>
            <span className="muted small"> (checked here; the server decides at launch)</span>
            <ul>
              {problems.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  <span className="mono">{p.path}</span> {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {serverError && (
          <div data-testid="launch-error">
            <ErrorBox error={serverError} />
          </div>
        )}
        <div className="row launchpad-footer">
          <label className="row">
            <span className="filter-label">Tags</span>
            <input value={tagsText} onChange={(e) => setTagsText(e.target.value)} placeholder="team:data, env:prod" aria-label="Run tags" data-testid="launch-tags" />
          </label>
          {"error" in tags && <span className="field-error">{tags.error}</span>}
          <span className="spacer" />
          {!job.partitions && (
            <button
              type="button"
              className="primary"
              onClick={launch}
              disabled={launching || syntaxError !== null || notObject || "error" in tags}
              data-testid="launch-run"
            >
              {launching ? "Launching…" : "Launch run"}
            </button>
          )}
        </div>
        {job.partitions && (
          <PartitionPicker
            target={{ job: job.name }}
            keys={partitionKeys.data?.keys ?? null}
            partitions={job.partitions}
            runExtras={parsed.ok && !notObject ? { config: parsed.value } : {}}
            tags={"error" in tags ? {} : tags.tags}
            disabled={syntaxError !== null || notObject || "error" in tags}
            backfillNote="A backfill's runs use the job's default config."
            onRunLaunched={(run) => void navigate(`/runs/${run.runId}`)}
          />
        )}
      </div>
      <aside className="launchpad-schema">
        <strong>Config fields</strong>
        {fields.ops.length === 0 && fields.resources.length === 0 && <p className="muted small">Nothing in this job takes config.</p>}
        {fields.ops.length > 0 && <FieldList fields={fields.ops} />}
        {fields.resources.length > 0 && (
          <>
            <div className="schema-section muted small">Resources: set in the definitions; a run may override any field.</div>
            <FieldList fields={fields.resources} />
          </>
        )}
        {job.steps.some((s) => s.config.error) && (
          <p className="small field-error">Some config schemas cannot be shown as JSON Schema; the server still checks them.</p>
        )}
      </aside>
    </div>
  );
}
