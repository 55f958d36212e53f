import { Link, useLocation } from "react-router";

/** Any path the UI does not know. */
export function NotFoundPage() {
  const location = useLocation();
  return (
    <div>
      <h1>Not found</h1>
      <p>
        Nothing lives at <span className="mono">{location.pathname}</span>. <Link to="/">Back to the overview</Link>.
      </p>
    </div>
  );
}
