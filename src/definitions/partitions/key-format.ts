/**
 * The strftime subset that time-window partition keys are written in (Dagster's `fmt`): `%Y`,
 * `%m`, `%d`, `%H`, `%M`, `%S`, `%z` (UTC offset as `+HHMM`) and `%%`; everything else is literal.
 * Wall times are counted in ms since 1970-01-01T00:00 on a plain calendar, with no time zone.
 */

const MINUTE_MS = 60_000;

type Token = { kind: "literal"; text: string } | { kind: "field"; field: "Y" | "m" | "d" | "H" | "M" | "S" | "z" };

/** What a key parsed to: its wall time and, when the key carries one, its UTC offset (ms). */
export interface ParsedKey {
  readonly wall: number;
  readonly offset: number | null;
}

const FIELD_PATTERN: Record<Exclude<Token, { kind: "literal" }>["field"], string> = {
  Y: "(\\d{4})",
  m: "(\\d{2})",
  d: "(\\d{2})",
  H: "(\\d{2})",
  M: "(\\d{2})",
  S: "(\\d{2})",
  z: "([+-]\\d{4})",
};

const HUMAN: Record<Exclude<Token, { kind: "literal" }>["field"], string> = { Y: "YYYY", m: "MM", d: "DD", H: "HH", M: "MM", S: "SS", z: "+HHMM" };

/** A parsed format string. Create with {@link KeyFormat.parse}. */
export class KeyFormat {
  /**
   * Parses a format; throws an Error saying what is wrong (an unsupported `%x`, or no `%Y`, `%m`
   * and `%d`, without which two days would share a key).
   */
  static parse(fmt: string): KeyFormat {
    if (typeof fmt !== "string" || fmt === "") throw new Error(`fmt must be a non-empty string such as "%Y-%m-%d"`);
    const tokens: Token[] = [];
    let literal = "";
    for (let i = 0; i < fmt.length; i++) {
      const ch = fmt[i]!;
      if (ch !== "%") {
        literal += ch;
        continue;
      }
      const next = fmt[++i];
      if (next === "%") {
        literal += "%";
        continue;
      }
      if (next === undefined || !(next in FIELD_PATTERN)) {
        throw new Error(`fmt "${fmt}" uses "%${next ?? ""}", which is not supported; use %Y %m %d %H %M %S %z and %%`);
      }
      if (literal) tokens.push({ kind: "literal", text: literal });
      literal = "";
      tokens.push({ kind: "field", field: next as Exclude<Token, { kind: "literal" }>["field"] });
    }
    if (literal) tokens.push({ kind: "literal", text: literal });
    const fields = new Set(tokens.flatMap((t) => (t.kind === "field" ? [t.field] : [])));
    for (const needed of ["Y", "m", "d"] as const) {
      if (!fields.has(needed)) throw new Error(`fmt "${fmt}" has no %${needed}; a partition key must name its year, month and day`);
    }
    return new KeyFormat(fmt, tokens, fields);
  }

  /** The format as given, e.g. `%Y-%m-%d`. */
  readonly fmt: string;
  /** The format as people read it, e.g. `YYYY-MM-DD`. */
  readonly human: string;
  private readonly tokens: readonly Token[];
  private readonly fields: ReadonlySet<string>;
  private readonly pattern: RegExp;
  /** The same format with a UTC offset appended (keys of the second occurrence of a repeated hour). */
  private withOffset: KeyFormat | undefined;

  private constructor(fmt: string, tokens: Token[], fields: Set<string>) {
    this.fmt = fmt;
    this.tokens = tokens;
    this.fields = fields;
    this.human = tokens.map((t) => (t.kind === "literal" ? t.text : HUMAN[t.field])).join("");
    this.pattern = new RegExp(`^${tokens.map((t) => (t.kind === "literal" ? escapeRegExp(t.text) : FIELD_PATTERN[t.field])).join("")}$`);
  }

  /** True when the format names this field (`H`, `M`, `z`...). */
  hasField(field: string): boolean {
    return this.fields.has(field);
  }

  /** Formats a wall time; `offset` (ms) is what `%z` prints. */
  format(wall: number, offset: number): string {
    const d = new Date(wall);
    let out = "";
    for (const t of this.tokens) {
      if (t.kind === "literal") {
        out += t.text;
        continue;
      }
      switch (t.field) {
        case "Y":
          out += String(d.getUTCFullYear()).padStart(4, "0");
          break;
        case "m":
          out += pad2(d.getUTCMonth() + 1);
          break;
        case "d":
          out += pad2(d.getUTCDate());
          break;
        case "H":
          out += pad2(d.getUTCHours());
          break;
        case "M":
          out += pad2(d.getUTCMinutes());
          break;
        case "S":
          out += pad2(d.getUTCSeconds());
          break;
        case "z":
          out += offsetText(offset);
          break;
      }
    }
    return out;
  }

  /** Formats a wall time with its UTC offset appended (unless the format prints one already). */
  formatWithOffset(wall: number, offset: number): string {
    return this.offsetVariant().format(wall, offset);
  }

  /**
   * Reads a key: its wall time, and its offset when it carries one (through `%z`, or appended to a
   * format without `%z`). Undefined when the text does not match or names a day that does not exist.
   */
  parse(text: string): ParsedKey | undefined {
    return this.parseExact(text) ?? (this.fields.has("z") ? undefined : this.offsetVariant().parseExact(text));
  }

  private offsetVariant(): KeyFormat {
    if (this.fields.has("z")) return this;
    this.withOffset ??= KeyFormat.parse(`${this.fmt}%z`);
    return this.withOffset;
  }

  private parseExact(text: string): ParsedKey | undefined {
    if (typeof text !== "string") return undefined;
    const m = this.pattern.exec(text);
    if (!m) return undefined;
    const values: Record<string, number> = { Y: 1970, m: 1, d: 1, H: 0, M: 0, S: 0 };
    let offset: number | null = null;
    let group = 1;
    for (const t of this.tokens) {
      if (t.kind === "literal") continue;
      const raw = m[group++]!;
      if (t.field === "z") {
        const sign = raw[0] === "-" ? -1 : 1;
        const minutes = Number(raw.slice(1, 3)) * 60 + Number(raw.slice(3, 5));
        if (Number(raw.slice(3, 5)) > 59) return undefined;
        const value = sign * minutes * MINUTE_MS;
        // A field given twice must agree with itself.
        if (offset !== null && offset !== value) return undefined;
        offset = value;
        continue;
      }
      values[t.field] = Number(raw);
    }
    const { Y, m: month, d, H, M, S } = values as Record<"Y" | "m" | "d" | "H" | "M" | "S", number>;
    if (month < 1 || month > 12 || d < 1 || H > 23 || M > 59 || S > 59) return undefined;
    const wall = Date.UTC(Y, month - 1, d, H, M, S);
    const check = new Date(wall);
    // 2025-02-30 rolls over into March: not a day that exists.
    if (check.getUTCFullYear() !== Y || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== d) return undefined;
    return { wall, offset };
  }
}

/** `+HHMM` / `-HHMM`, as Python's `%z` prints it. */
function offsetText(offset: number): string {
  const minutes = Math.round(Math.abs(offset) / MINUTE_MS);
  return `${offset < 0 ? "-" : "+"}${pad2(Math.floor(minutes / 60))}${pad2(minutes % 60)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
