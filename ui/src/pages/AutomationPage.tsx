/** Placeholder: being built. */
export function AutomationPage() {
  return <h1>Automation</h1>;
}
