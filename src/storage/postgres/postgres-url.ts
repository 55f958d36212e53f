/**
 * A Postgres connection URL with its password (in the user-info part or a `password=` query
 * parameter) replaced by `***`, safe to print in messages, logs and `sluice instance info`.
 *
 * @example
 * redactPostgresUrl("postgres://app:s3cret@db:5432/prod"); // "postgres://app:***@db:5432/prod"
 */
export function redactPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL (a libpq "key=value" string, or a typo): mask anything that looks like a password.
    return url
      .replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@")
      .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, "$1***");
  }
  if (parsed.password !== "") parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) {
    if (key.toLowerCase() === "password") parsed.searchParams.set(key, "***");
  }
  // URLSearchParams re-encodes `***` as `%2A%2A%2A`; show it as written.
  return parsed.toString().replace(/%2A%2A%2A/g, "***");
}
