/** The "Resources" entry of a schedule's or sensor's facts: the resources its function uses; nothing when none. */
export function ResourcesFact({ resources }: { resources: string[] }) {
  if (resources.length === 0) return null;
  return (
    <div>
      <dt>Resources</dt>
      <dd className="mono" data-testid="instigator-resources">
        {resources.join(", ")}
      </dd>
    </div>
  );
}
