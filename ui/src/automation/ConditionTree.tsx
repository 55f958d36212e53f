import type { ConditionNodeJson, ConditionSnapshotJson } from "./condition-types";
import { childRole, conditionNodeText, partitionCount } from "./condition-text";
import "./conditions.css";

type Node = ConditionSnapshotJson | ConditionNodeJson;

function isEvaluated(node: Node): node is ConditionNodeJson {
  return "trueCount" in node;
}

/**
 * A condition tree, one node per row, children indented under their parent. Given an evaluated
 * tree, each row shows a check (true, green) or a cross (false, red) and, for a partitioned asset,
 * for how many partitions; given a condition as defined, its words only.
 */
export function ConditionTree({ node, partitioned, testId }: { node: Node; partitioned: boolean; testId?: string }) {
  return (
    <ul className="condition-tree" data-testid={testId}>
      <ConditionRow node={node} partitioned={partitioned} role={null} />
    </ul>
  );
}

function ConditionRow({ node, partitioned, role }: { node: Node; partitioned: boolean; role: string | null }) {
  const { label, text } = conditionNodeText(node);
  const evaluated = isEvaluated(node) ? node : null;
  const result = evaluated ? (evaluated.trueCount > 0 ? "true" : "false") : null;
  const keys = evaluated && partitioned && evaluated.trueKeys.length > 0 ? `True for ${evaluated.trueKeys.join(", ")}${evaluated.trueCount > evaluated.trueKeys.length ? ", …" : ""}` : undefined;
  return (
    <li>
      <div className={`condition-row${result ? ` is-${result}` : ""}`} data-testid="condition-node" data-result={result ?? undefined} data-type={node.type} title={keys}>
        {result && (
          <span className={`condition-mark ${result}`} aria-label={result}>
            {result === "true" ? "✓" : "✗"}
          </span>
        )}
        {role && <span className="condition-role">{role}</span>}
        {label !== null && <span className="condition-label mono">{label}</span>}
        {(label === null || text !== label) && <span className={label !== null ? "condition-text muted" : "condition-text"}>{text}</span>}
        {evaluated && partitioned && (
          <span className={`condition-count${evaluated.trueCount > 0 ? " some" : ""}`} data-testid="condition-count">
            {partitionCount(evaluated.trueCount, evaluated.candidateCount)}
          </span>
        )}
      </div>
      {node.children.length > 0 && (
        <ul>
          {(node.children as Node[]).map((child, i) => (
            <ConditionRow key={i} node={child} partitioned={partitioned} role={childRole(node.type, i)} />
          ))}
        </ul>
      )}
    </li>
  );
}
