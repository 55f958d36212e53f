import { useState } from "react";
import { Link } from "react-router";
import { assetPath } from "../assets/asset-json";
import { AutomationLoopCard } from "./AutomationLoopCard";
import type { AutomationJson } from "./condition-types";

/** How many automated assets the section names before "and N more". */
const SHOWN_ASSETS = 12;

/**
 * The automation loop beside schedules and sensors: its status with start/stop, and the assets it
 * evaluates, each linked to its Automation tab.
 */
export function AutomationLoopSection() {
  const [loop, setLoop] = useState<AutomationJson>();
  return (
    <section className="panel" data-testid="automation-loop-section">
      <AutomationLoopCard onChange={setLoop} onLoad={setLoop} />
      {loop && (
        <p className="small" data-testid="automated-assets">
          {loop.automatedAssets.length === 0 ? (
            <span className="muted">
              No asset has an automation condition. Add one with <span className="mono">automation: AutomationCondition.eager()</span> in an asset's
              definition.
            </span>
          ) : (
            <>
              <span className="muted">Evaluates: </span>
              {loop.automatedAssets.slice(0, SHOWN_ASSETS).map((k, i) => (
                <span key={k}>
                  {i > 0 && ", "}
                  <Link className="mono" to={`${assetPath(k)}?tab=automation`}>
                    {k}
                  </Link>
                </span>
              ))}
              {loop.automatedAssets.length > SHOWN_ASSETS && <span className="muted"> and {loop.automatedAssets.length - SHOWN_ASSETS} more</span>}
            </>
          )}
        </p>
      )}
    </section>
  );
}
