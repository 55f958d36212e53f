/** Placeholder: being built. */
export function LineagePage() {
  return <h1>Lineage</h1>;
}
