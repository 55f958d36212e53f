/** Placeholder: being built. */
export function SensorPage() {
  return <h1>Sensor</h1>;
}
