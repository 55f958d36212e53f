/** An evaluation's outcome as a coloured pill: passed, failed (ERROR), warning (WARN), errored (it threw), not evaluated. */
import { OUTCOME_LOOK, outcomeOf, type CheckEvaluationJson } from "./check-types";

/** The pill of an evaluation, or "not evaluated" for null. */
export function CheckStatusPill({ evaluation }: { evaluation: CheckEvaluationJson | null }) {
  const outcome = evaluation ? outcomeOf(evaluation) : "missing";
  const look = OUTCOME_LOOK[outcome];
  const title = evaluation ? `${evaluation.status}, severity ${evaluation.severity}` : "This check has never run.";
  return (
    <span className={`badge ${look.tone}`} data-testid="check-status" data-outcome={outcome} title={title}>
      {look.label}
    </span>
  );
}
