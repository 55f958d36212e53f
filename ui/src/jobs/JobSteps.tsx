import { Link } from "react-router";
import type { JobJson } from "./job-types";
import "./jobs.css";

/** Layer of each step: 0 without upstream steps in the job, else one more than its deepest upstream. */
export function stepLayers(job: Pick<JobJson, "steps" | "edges">): Map<string, number> {
  const upstream = new Map<string, string[]>(job.steps.map((s) => [s.key, []]));
  for (const e of job.edges) upstream.get(e.to)?.push(e.from);
  const layers = new Map<string, number>();
  const visiting = new Set<string>();
  const layerOf = (key: string): number => {
    const known = layers.get(key);
    if (known !== undefined) return known;
    // Definitions reject cycles at load; the guard only keeps a bad snapshot from hanging the page.
    if (visiting.has(key)) return 0;
    visiting.add(key);
    const ups = (upstream.get(key) ?? []).filter((k) => upstream.has(k));
    const layer = ups.length === 0 ? 0 : 1 + Math.max(...ups.map(layerOf));
    layers.set(key, layer);
    return layer;
  };
  for (const s of job.steps) layerOf(s.key);
  return layers;
}

/**
 * A job's steps as columns of a layered graph (a step sits right of everything it needs), each
 * card naming its inputs and whether it takes config; asset steps link to their asset page.
 */
export function JobSteps({ job }: { job: JobJson }) {
  const layers = stepLayers(job);
  const columns: (typeof job.steps)[] = [];
  for (const step of job.steps) {
    const layer = layers.get(step.key) ?? 0;
    (columns[layer] ??= []).push(step);
  }
  const inputsOf = (key: string) => job.edges.filter((e) => e.to === key);
  return (
    <div className="job-steps" data-testid="job-steps">
      {columns.map((column, i) => (
        <div className="job-column" key={i}>
          {column.map((step) => (
            <div className="job-step" key={step.key} data-step={step.key}>
              <div className="row">
                {step.kind === "asset" ? (
                  <Link to={`/assets/${step.key}`} className="mono job-step-key">
                    {step.key}
                  </Link>
                ) : (
                  <span className="mono job-step-key">{step.key}</span>
                )}
                {step.config.jsonSchema && <span className="badge info">config</span>}
              </div>
              {step.description && <div className="muted small">{step.description}</div>}
              {inputsOf(step.key).length > 0 && (
                <div className="small job-step-inputs">
                  {inputsOf(step.key).map((e) => (
                    <div key={`${e.from}:${e.input}`}>
                      <span className="muted">←</span> <span className="mono">{e.from}</span>
                      {e.input && <span className="muted"> as {e.input}</span>}
                    </div>
                  ))}
                </div>
              )}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
