/**
 * Declarative automation: when an asset should be materialized, as a composable condition
 * (Dagster's `AutomationCondition`). A condition is pure data: a tree of nodes, each evaluated per
 * partition of its asset by the automation loop of the daemon (see `src/runs/automation/`).
 */

/** The kinds of node a condition tree is made of. */
export type ConditionType =
  // Facts about the asset (per partition).
  | "missing"
  | "newly_updated"
  | "newly_requested"
  | "will_be_requested"
  | "in_progress"
  | "execution_failed"
  | "initial_evaluation"
  | "in_latest_time_window"
  | "cron_tick_passed"
  | "checks_passed"
  // About its upstream assets (each dep's partitions that the partition reads).
  | "any_deps_match"
  | "all_deps_match"
  | "all_deps_updated_since_cron"
  // Combinators.
  | "and"
  | "or"
  | "not"
  | "since"
  | "newly_true";

/** Parameters of the nodes that take some; the others have none. */
export interface ConditionParams {
  /** `cron_tick_passed`, `all_deps_updated_since_cron`: the cron string and its IANA time zone. */
  readonly cron?: string;
  readonly timezone?: string;
  /**
   * `in_latest_time_window`: how far before the latest window's start it reaches, as given (a
   * duration such as `"2d"`, or ms; checked when the asset is defined); null: the latest window only.
   */
  readonly lookback?: string | number | null;
  /** `any_deps_match`, `all_deps_match`: deps left out, or (when set) the only deps considered. */
  readonly ignore?: readonly string[];
  readonly allow?: readonly string[] | null;
  /** `checks_passed`: only blocking checks count. */
  readonly blockingOnly?: boolean;
}

/** A node as stored in snapshots and evaluations (JSON). */
export interface ConditionSnapshot {
  type: ConditionType;
  /** The user's label, or the built-in one (`eager`, `on_cron`, `on_missing`, `handled`...). */
  label: string | null;
  /** In words: `any deps updated`, `cron tick "0 * * * *" (UTC) passed`. */
  description: string;
  params: ConditionParams;
  children: ConditionSnapshot[];
}

const BRAND = Symbol.for("sluice.automationCondition");

/**
 * A condition saying when an asset (each of its partitions) should be materialized. Build them
 * with the static factories and combine them with `and`, `or`, `not`, `since`; give any a label to
 * name it in explanations.
 *
 * @example
 * asset({ key: "daily_report", ins: { orders }, automation: AutomationCondition.eager(), run: ... });
 * asset({ key: "hourly", automation: AutomationCondition.onCron("0 * * * *", "Europe/Berlin"), run: ... });
 * const custom = AutomationCondition.missing().and(AutomationCondition.not(AutomationCondition.anyDepsMissing())).withLabel("fill gaps");
 */
export class AutomationCondition {
  readonly [BRAND] = true;
  readonly type: ConditionType;
  readonly label: string | null;
  readonly params: ConditionParams;
  readonly children: readonly AutomationCondition[];

  private constructor(type: ConditionType, children: readonly AutomationCondition[] = [], params: ConditionParams = {}, label: string | null = null) {
    this.type = type;
    this.children = children;
    this.params = params;
    this.label = label;
  }

  // ---- Facts about the asset ----

  /**
   * The partition (or the unpartitioned asset) has never been materialized (an observable source
   * asset: never observed). Inside a deps condition, external and observable deps are never missing.
   */
  static missing(): AutomationCondition {
    return new AutomationCondition("missing");
  }
  /**
   * It was materialized (or, for an observable source asset, observed with a data version it did not
   * have just before) since the previous evaluation: its latest event is newer than the last event
   * that evaluation had read. False at the first evaluation.
   * Evaluated on a dep (in `anyDepsMatch`/`allDepsMatch`), an update made by a run that also selected
   * the downstream asset is left out.
   */
  static newlyUpdated(): AutomationCondition {
    return new AutomationCondition("newly_updated");
  }
  /** The previous evaluation requested a run of it. */
  static newlyRequested(): AutomationCondition {
    return new AutomationCondition("newly_requested");
  }
  /**
   * This evaluation requests it. Meant for deps conditions: an upstream key requested now, in a run
   * that can include the downstream key (both unpartitioned, or the same partitions read one to one
   * and the same key); an upstream requested in another run does not count.
   */
  static willBeRequested(): AutomationCondition {
    return new AutomationCondition("will_be_requested");
  }
  /**
   * A run that materializes it is queued or under way: a run not finished (queued, starting,
   * started, canceling) that selects it (or its multi-asset's step) for that partition (its key, or
   * a range holding it), or whose attempt at it is in progress.
   */
  static inProgress(): AutomationCondition {
    return new AutomationCondition("in_progress");
  }
  /** Its latest attempt failed (its step failed, was skipped, or its run ended before materializing it); a later materialization clears it. */
  static executionFailed(): AutomationCondition {
    return new AutomationCondition("execution_failed");
  }
  /** This is the first evaluation of the condition (or the first since the condition changed). */
  static initialEvaluation(): AutomationCondition {
    return new AutomationCondition("initial_evaluation");
  }
  /**
   * The partition is in the latest time window (the latest partition, or those whose window ends
   * within `lookback` before the latest one's start, a duration such as `"2d"`); always true for
   * partitions that are not time windows and for unpartitioned assets.
   */
  static inLatestTimeWindow(lookback?: string | number): AutomationCondition {
    return new AutomationCondition("in_latest_time_window", [], { lookback: lookback ?? null });
  }
  /** A tick of `cron` (read in `timezone`) passed since the previous evaluation (in (previous, now]); false at the first evaluation. */
  static cronTickPassed(cron: string, timezone = "UTC"): AutomationCondition {
    return new AutomationCondition("cron_tick_passed", [], { cron, timezone });
  }
  /**
   * Every check of the asset passed in its latest evaluation (of that partition); true for an asset
   * without checks. A failed check counts as not passed whatever its severity (WARN too); with
   * `blockingOnly`, only blocking checks are considered (those that hold up downstream steps).
   */
  static checksPassed(options: { blockingOnly?: boolean } = {}): AutomationCondition {
    return new AutomationCondition("checks_passed", [], options.blockingOnly ? { blockingOnly: true } : {});
  }

  // ---- About upstream assets ----

  /**
   * Some dep matches `condition`: it is evaluated on the dep's partitions that this partition reads
   * (through the partition mapping), and a dep matches when any of them does. `condition` must be
   * stateless (no `since`, `newlyTrue`): checked when the asset is defined.
   */
  static anyDepsMatch(condition: AutomationCondition, options: DepsOptions = {}): AutomationCondition {
    return new AutomationCondition("any_deps_match", [condition], depsParams(options));
  }
  /** Every dep matches `condition` as in {@link anyDepsMatch} (true when the asset has no deps). */
  static allDepsMatch(condition: AutomationCondition, options: DepsOptions = {}): AutomationCondition {
    return new AutomationCondition("all_deps_match", [condition], depsParams(options));
  }
  /**
   * Some upstream was updated since the previous evaluation, or is requested by this one. An update
   * made by a run that also selected this asset does not count (newly_updated on a dep leaves it
   * out): that run handled it, even if this asset's step then failed or was skipped.
   */
  static anyDepsUpdated(options: DepsOptions = {}): AutomationCondition {
    return AutomationCondition.anyDepsMatch(AutomationCondition.newlyUpdated().or(AutomationCondition.willBeRequested()), options).withLabel("any_deps_updated");
  }
  /** Some upstream partition it reads is missing and not requested by this evaluation (external and observable source assets never count as missing). */
  static anyDepsMissing(options: DepsOptions = {}): AutomationCondition {
    return AutomationCondition.anyDepsMatch(AutomationCondition.missing().and(AutomationCondition.willBeRequested().not()), options).withLabel("any_deps_missing");
  }
  /** Some upstream partition it reads is in progress. */
  static anyDepsInProgress(options: DepsOptions = {}): AutomationCondition {
    return AutomationCondition.anyDepsMatch(AutomationCondition.inProgress(), options).withLabel("any_deps_in_progress");
  }
  /**
   * Every upstream partition this partition reads was updated at or after the latest tick of `cron`
   * (at or before now), or is requested by this evaluation in the same run; true without deps.
   */
  static allDepsUpdatedSince(cron: string, timezone = "UTC", options: DepsOptions = {}): AutomationCondition {
    return new AutomationCondition("all_deps_updated_since_cron", [], { cron, timezone, ...depsParams(options) });
  }

  // ---- Combinators ----

  /**
   * True where every condition is. Each condition is evaluated only on the partitions still true
   * after the ones before it (cheap conditions first keep evaluations fast); so a `since` placed
   * after a condition that is false for a partition does not see that evaluation's trigger there.
   */
  static and(...conditions: AutomationCondition[]): AutomationCondition {
    return new AutomationCondition("and", conditions);
  }
  /** True where any condition is. */
  static or(...conditions: AutomationCondition[]): AutomationCondition {
    return new AutomationCondition("or", conditions);
  }
  /** True where `condition` is not. */
  static not(condition: AutomationCondition): AutomationCondition {
    return new AutomationCondition("not", [condition]);
  }
  /**
   * True once `trigger` has been true at some evaluation, until `reset` is true (reset wins when
   * both are true in one evaluation). Kept per partition from one evaluation to the next.
   */
  static since(trigger: AutomationCondition, reset: AutomationCondition): AutomationCondition {
    return new AutomationCondition("since", [trigger, reset]);
  }

  and(...others: AutomationCondition[]): AutomationCondition {
    return AutomationCondition.and(this, ...others);
  }
  or(...others: AutomationCondition[]): AutomationCondition {
    return AutomationCondition.or(this, ...others);
  }
  not(): AutomationCondition {
    return AutomationCondition.not(this);
  }
  /** `since(this, reset)`. */
  since(reset: AutomationCondition): AutomationCondition {
    return AutomationCondition.since(this, reset);
  }
  /** True where this became true at this evaluation (false where it was already true at the previous one). */
  newlyTrue(): AutomationCondition {
    return new AutomationCondition("newly_true", [this]);
  }
  /** True from when this is true until the asset is requested or updated: each trigger leads to one run. */
  sinceLastHandled(): AutomationCondition {
    return this.since(AutomationCondition.newlyRequested().or(AutomationCondition.newlyUpdated()).withLabel("handled"));
  }
  /** The same condition, named `label` in explanations. */
  withLabel(label: string): AutomationCondition {
    return new AutomationCondition(this.type, this.children, this.params, label);
  }

  // ---- The conditions most assets use ----

  /**
   * Materialize when an upstream updates or the asset (partition) is missing, once no upstream it
   * reads is missing or in progress and it is not in progress itself; the latest time window only.
   * Each trigger leads to one request: a failed run is not retried until something changes.
   */
  static eager(): AutomationCondition {
    const c = AutomationCondition;
    return c
      .and(
        c.inLatestTimeWindow(),
        c.or(c.missing().newlyTrue().withLabel("newly_missing"), c.anyDepsUpdated()).sinceLastHandled(),
        c.not(c.anyDepsMissing()),
        c.not(c.anyDepsInProgress()),
        c.not(c.inProgress()),
      )
      .withLabel("eager");
  }
  /**
   * Materialize once after each tick of `cron`, as soon as every upstream has been updated since
   * that tick; the latest time window only.
   */
  static onCron(cron: string, timezone = "UTC"): AutomationCondition {
    const c = AutomationCondition;
    return c
      .and(c.inLatestTimeWindow(), c.cronTickPassed(cron, timezone).sinceLastHandled(), c.allDepsUpdatedSince(cron, timezone), c.not(c.inProgress()))
      .withLabel("on_cron");
  }
  /** Materialize a partition that is missing, once, when no upstream it reads is missing; the latest time window only. */
  static onMissing(): AutomationCondition {
    const c = AutomationCondition;
    return c
      .and(c.inLatestTimeWindow(), c.missing().newlyTrue().withLabel("newly_missing").sinceLastHandled(), c.not(c.anyDepsMissing()), c.not(c.inProgress()))
      .withLabel("on_missing");
  }

  /** The tree as JSON (snapshots, explanations). */
  toJSON(): ConditionSnapshot {
    return {
      type: this.type,
      label: this.label,
      description: describeNode(this),
      params: { ...this.params },
      children: this.children.map((c) => c.toJSON()),
    };
  }

  /** In words, one line: `eager`, `missing and not any deps in progress`. */
  describe(): string {
    return this.label ?? describeNode(this);
  }
}

/** Options of the deps conditions: deps to leave out, or the only deps to consider (asset keys). */
export interface DepsOptions {
  ignore?: readonly string[];
  allow?: readonly string[];
}

function depsParams(options: DepsOptions): ConditionParams {
  return { ignore: [...(options.ignore ?? [])], allow: options.allow === undefined ? null : [...options.allow] };
}

/** True for a value made by the AutomationCondition factories. */
export function isAutomationCondition(value: unknown): value is AutomationCondition {
  return typeof value === "object" && value !== null && BRAND in value;
}

function depsSuffix(params: ConditionParams): string {
  const parts: string[] = [];
  if (params.allow) parts.push(`of ${params.allow.map((k) => `"${k}"`).join(", ")}`);
  if (params.ignore && params.ignore.length > 0) parts.push(`ignoring ${params.ignore.map((k) => `"${k}"`).join(", ")}`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

function describeNode(c: AutomationCondition): string {
  const child = (i: number): string => {
    const node = c.children[i]!;
    const text = node.describe();
    return node.label === null && (node.type === "and" || node.type === "or" || node.type === "since") ? `(${text})` : text;
  };
  switch (c.type) {
    case "missing":
      return "missing";
    case "newly_updated":
      return "newly updated";
    case "newly_requested":
      return "newly requested";
    case "will_be_requested":
      return "will be requested";
    case "in_progress":
      return "in progress";
    case "execution_failed":
      return "execution failed";
    case "initial_evaluation":
      return "initial evaluation";
    case "in_latest_time_window":
      return c.params.lookback == null ? "in latest time window" : `in latest time window (lookback ${String(c.params.lookback)})`;
    case "cron_tick_passed":
      return `cron tick "${c.params.cron}" (${c.params.timezone}) passed`;
    case "checks_passed":
      return c.params.blockingOnly ? "blocking checks passed" : "checks passed";
    case "any_deps_match":
      return `any deps match ${child(0)}${depsSuffix(c.params)}`;
    case "all_deps_match":
      return `all deps match ${child(0)}${depsSuffix(c.params)}`;
    case "all_deps_updated_since_cron":
      return `all deps updated since cron "${c.params.cron}" (${c.params.timezone})${depsSuffix(c.params)}`;
    case "and":
      return c.children.map((_, i) => child(i)).join(" and ");
    case "or":
      return c.children.map((_, i) => child(i)).join(" or ");
    case "not":
      return `not ${child(0)}`;
    case "since":
      return `${child(0)} since ${child(1)}`;
    case "newly_true":
      return `newly true ${child(0)}`;
  }
}
