/**
 * Seeded generators of selection strings for fuzz tests: random sequences of the grammar's tokens,
 * valid expressions, and mutations of them (insertions, deletions, huge repetitions). The same seed
 * gives the same strings, so a failure found once is found again with `FUZZ_SEED=<seed>`.
 */

/** A pseudo-random number generator (mulberry32): floats in [0, 1), reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `FUZZ_SEED` when set (to replay a failure), else a fresh one. */
export function fuzzSeed(env: Record<string, string | undefined> = process.env): number {
  const given = env.FUZZ_SEED;
  return given !== undefined && /^\d+$/.test(given) ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

// Tokens of the grammar, valid and not, and characters it has no place for.
const TOKENS = [
  "*", "+", "2+", "+1", "(", ")", "and", "or", "not", "AND", "OR", "NOT", "And", ",", "=", ":",
  "key:", "key_substring:", "tag:", "owner:", "group:", "kind:", "roots(", "sinks(", "status:", "job",
  "a", "b", "raw/orders", "raw/", "*_x", "x*", '"quoted value"', '"unterminated', '"a\\b"', "<null>",
  "123", "1a", "$", "\\", "\n", "\t", "é", "\u0000", "🙂", "key", "sinks", "roots", "is:", "-",
];
const NAMES = ["a", "b", "raw/orders", "orders", "x_1", '"spaced name"'];
const ATTRIBUTES = ["key:", "key_substring:", "group:", "owner:", "kind:", "tag:"];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function int(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A random sequence of tokens, joined with random spacing. */
export function randomTokens(random: () => number): string {
  const length = int(random, 0, 30);
  let out = "";
  for (let i = 0; i < length; i++) out += pick(random, TOKENS) + pick(random, ["", " ", " ", "  "]);
  return out;
}

/** A valid expression of the grammar, at most `depth` levels deep. */
export function validExpression(random: () => number, depth = 4): string {
  const roll = random();
  if (depth <= 0 || roll < 0.35) {
    const attribute = pick(random, ATTRIBUTES);
    const value = pick(random, NAMES);
    return attribute === "tag:" && random() < 0.5 ? `tag:${value}=${pick(random, NAMES)}` : `${attribute}${value}`;
  }
  if (roll < 0.45) return "*";
  if (roll < 0.6) return `${pick(random, ["", "+", "2+"])}(${validExpression(random, depth - 1)})${pick(random, ["", "+", "+3"])}`;
  if (roll < 0.7) return `not ${validExpression(random, depth - 1)}`;
  if (roll < 0.8) return `${pick(random, ["roots", "sinks"])}(${validExpression(random, depth - 1)})`;
  return `${validExpression(random, depth - 1)} ${pick(random, ["and", "or", "AND", "OR"])} ${validExpression(random, depth - 1)}`;
}

/**
 * A valid expression changed at random: a token inserted, a slice deleted, or a slice or token
 * repeated (up to tens of thousands of times, past every length and depth limit).
 */
export function mutatedExpression(random: () => number): string {
  let text = validExpression(random);
  const mutations = int(random, 1, 3);
  for (let m = 0; m < mutations; m++) {
    const at = int(random, 0, text.length);
    const kind = random();
    if (kind < 0.35) {
      text = text.slice(0, at) + pick(random, TOKENS) + text.slice(at);
    } else if (kind < 0.6) {
      text = text.slice(0, at) + text.slice(Math.min(text.length, at + int(random, 1, 8)));
    } else if (kind < 0.8) {
      const unit = pick(random, ["(", "not ", "+(", "roots(", "a or ", "not (", ")", "key:a and "]);
      text = text.slice(0, at) + unit.repeat(int(random, 1, random() < 0.3 ? 30_000 : 300)) + text.slice(at);
    } else {
      const slice = text.slice(at, at + int(random, 1, 12));
      text = text.slice(0, at) + slice.repeat(int(random, 2, 2_000)) + text.slice(at);
    }
  }
  return text;
}

/** Strings that once broke the parser or the evaluator, first in every sample. */
export const PATHOLOGICAL_SELECTIONS: readonly string[] = [
  `${"(".repeat(1_000)}a${")".repeat(1_000)}`,
  "(".repeat(100_000),
  `${"not ".repeat(50_000)}a`,
  `${"roots(".repeat(5_000)}a${")".repeat(5_000)}`,
  Array.from({ length: 1_999 }, () => "a").join(" or "),
  `${"+(".repeat(3_000)}a${")".repeat(3_000)}`,
];

/** `count` strings: the pathological ones, then random tokens, valid expressions and mutations. */
export function selectionSample(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const out = PATHOLOGICAL_SELECTIONS.slice(0, count);
  while (out.length < count) {
    const roll = random();
    out.push(roll < 0.4 ? randomTokens(random) : roll < 0.6 ? validExpression(random) : mutatedExpression(random));
  }
  return out;
}
