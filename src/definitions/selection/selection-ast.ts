/**
 * The syntax tree of a selection expression (`--select`), as produced by `parseSelection`.
 *
 * The node set mirrors what Dagster's asset selection visitor builds from its grammar
 * (`AssetSelection.g4`), so that evaluating a node means exactly what Dagster means by it.
 * Values that Dagster writes as `<null>` are `null` here; they keep Dagster's (odd) meanings,
 * documented on each node.
 */

/** How far a traversal goes: a number of levels (0 = only the operand itself), or `"all"`. */
export type TraversalDepth = number | "all";

/** `*`: every asset. */
export interface AllNode {
  readonly type: "all";
}

/**
 * `key:NAME` (or a bare `NAME`): assets whose key, written with `/` between components,
 * matches `pattern` from start to end, where each `*` stands for any run of characters
 * (including `/`).
 */
export interface KeyNode {
  readonly type: "key";
  readonly pattern: string;
}

/** `key_substring:S`: assets whose key contains `value` (no wildcards). */
export interface KeySubstringNode {
  readonly type: "key_substring";
  readonly value: string;
}

/**
 * `tag:K` or `tag:K=V`: assets whose tag `key` has exactly `value`. Without `=V` the value is
 * `""`, as in Dagster: `tag:K` matches only assets tagged `K` with an empty value, not every
 * asset that has the tag `K`. A `null` key (`tag:<null>`) matches nothing.
 */
export interface TagNode {
  readonly type: "tag";
  readonly key: string | null;
  readonly value: string;
}

/** `owner:O`: assets listing `value` among their owners; `owner:<null>` matches nothing. */
export interface OwnerNode {
  readonly type: "owner";
  readonly value: string | null;
}

/**
 * `group:G`: assets in group `value`; a `*` in a quoted value is a wildcard
 * (`group:"mark*"`). `group:<null>` and `group:""` match nothing.
 */
export interface GroupNode {
  readonly type: "group";
  readonly value: string | null;
}

/** `kind:K`: assets that list `value` among their kinds; `kind:<null>` = assets with no kinds. */
export interface KindNode {
  readonly type: "kind";
  readonly value: string | null;
}

/**
 * The values `status:` accepts. Check statuses (from each check's latest evaluation per
 * partition): `check_passed` (every check evaluated, every latest evaluation passed),
 * `check_failed` (some latest evaluation failed with ERROR, or could not run), `check_warning`
 * (some failed with WARN, none with ERROR), `check_missing` (some check never evaluated).
 * Freshness and staleness: `stale`, `fresh`, `overdue`.
 */
export const ASSET_STATUS_VALUES = ["check_passed", "check_failed", "check_warning", "check_missing", "stale", "fresh", "overdue"] as const;
/** One of {@link ASSET_STATUS_VALUES}. */
export type AssetStatusValue = (typeof ASSET_STATUS_VALUES)[number];

/**
 * `status:VALUE`: assets that have that status now. It depends on the instance (what ran, what
 * checks found), so only selections evaluated at run time (`selectAssets` with `statusOf`) take it.
 */
export interface StatusNode {
  readonly type: "status";
  readonly value: AssetStatusValue;
}

/** `not X`: every asset that `X` does not select. */
export interface NotNode {
  readonly type: "not";
  readonly operand: SelectionNode;
}

/** `X and Y`: assets both select. */
export interface AndNode {
  readonly type: "and";
  readonly left: SelectionNode;
  readonly right: SelectionNode;
}

/** `X or Y`: assets either selects. */
export interface OrNode {
  readonly type: "or";
  readonly left: SelectionNode;
  readonly right: SelectionNode;
}

/**
 * `N+X`, `X+N` and both at once: the operand plus its ancestors (`upstream`) and/or its
 * descendants (`downstream`) up to the given depth; `null` means no traversal that way.
 * Both directions start from the operand itself, so `+X+` is `+X or X+`.
 */
export interface TraversalNode {
  readonly type: "traversal";
  readonly operand: SelectionNode;
  readonly upstream: TraversalDepth | null;
  readonly downstream: TraversalDepth | null;
}

/**
 * `roots(X)`: the assets of `X` with no ancestor in `X`, at any distance (a path through assets
 * outside `X` still counts).
 */
export interface RootsNode {
  readonly type: "roots";
  readonly operand: SelectionNode;
}

/**
 * `sinks(X)`: the assets of `X` with no descendant in `X`, at any distance (a path through assets
 * outside `X` still counts).
 */
export interface SinksNode {
  readonly type: "sinks";
  readonly operand: SelectionNode;
}

/** Any node of a parsed selection expression; `type` tells which. */
export type SelectionNode =
  | AllNode
  | KeyNode
  | KeySubstringNode
  | TagNode
  | OwnerNode
  | GroupNode
  | KindNode
  | StatusNode
  | NotNode
  | AndNode
  | OrNode
  | TraversalNode
  | RootsNode
  | SinksNode;
