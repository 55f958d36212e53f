import { ErrorCode, SluiceError } from "../index.js";

/** An integration needs a package that is not installed in the project. */
export class MissingPackageError extends SluiceError {
  /** The npm package to install, e.g. `@duckdb/node-api`. */
  readonly packageName: string;
  /** The integration that needs it, e.g. `sluice/duckdb`. */
  readonly integration: string;
  constructor(integration: string, packageName: string, versionRange: string, cause: unknown) {
    super(
      ErrorCode.MissingPackage,
      `${integration} needs the package "${packageName}", which is not installed. ` +
        `Install it in your project: npm install ${packageName}@${versionRange}`,
      { cause },
    );
    this.packageName = packageName;
    this.integration = integration;
  }
}

/**
 * Imports an optional package on first use, so that importing `sluice/<integration>` never fails
 * and a project that does not use the integration need not install its package. A missing
 * package becomes a MissingPackageError naming it; any other failure (a broken native binary)
 * is thrown as it is.
 */
export async function importOptional<T>(
  integration: string,
  packageName: string,
  versionRange: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const message = (err as Error | undefined)?.message ?? "";
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(packageName)) {
      throw new MissingPackageError(integration, packageName, versionRange, err);
    }
    throw err;
  }
}
