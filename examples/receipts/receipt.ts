/** A receipt as the pipeline keeps it, and how a model's answer becomes one (or a reason why not). */
import { z } from "zod";

/** The shape asked of the model, checked before anything is stored. */
export const receiptSchema = z.object({
  merchant: z.string().min(1),
  /** YYYY-MM-DD */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD"),
  /** ISO 4217, e.g. EUR */
  currency: z.string().regex(/^[A-Z]{3}$/, "must be a three-letter ISO currency code such as EUR"),
  total: z.number().nonnegative(),
  items: z.array(z.object({ description: z.string().min(1), amount: z.number() })),
});

/** A receipt that passed the checks. */
export type Receipt = z.infer<typeof receiptSchema>;

/** What the model is asked (beside the image). */
export const EXTRACTION_PROMPT =
  "This image should show a receipt. Extract it as JSON with exactly these fields: " +
  '{"merchant": string, "date": "YYYY-MM-DD", "currency": ISO 4217 code, "total": number, ' +
  '"items": [{"description": string, "amount": number}]}. Answer with the JSON only. ' +
  "If the image shows no readable receipt, say so in one sentence instead.";

/**
 * The receipt in a model's answer, or the reason there is none: not JSON, a field that fails the
 * schema (named by its path), or items that do not add up to the total.
 */
export function parseReceipt(answer: string): { receipt: Receipt } | { reason: string } {
  // Models sometimes fence JSON in ```json ... ``` despite being asked not to.
  const text = answer.trim().replace(/^```(?:json)?\s*/i, "").replace(/\s*```$/, "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: `the answer is not JSON: ${JSON.stringify(answer.length > 120 ? `${answer.slice(0, 120)}…` : answer)}` };
  }
  const problem = receiptProblem(json);
  return problem === null ? { receipt: receiptSchema.parse(json) } : { reason: problem };
}

/**
 * What is wrong with a receipt, or null: a field that fails the schema (named by its path, with the
 * value found), or items that do not add up to the total. New answers and stored rows (the
 * `receipts_valid` check) are held to the same rules.
 */
export function receiptProblem(value: unknown): string | null {
  const parsed = receiptSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `field "${issue.path.join(".") || "(root)"}": ${issue.message} (got ${JSON.stringify(valueAt(value, issue.path))})`;
  }
  const sum = Math.round(parsed.data.items.reduce((s, i) => s + i.amount, 0) * 100) / 100;
  if (parsed.data.items.length > 0 && Math.abs(sum - parsed.data.total) > 0.01) {
    return `the items add up to ${sum.toFixed(2)} but the total is ${parsed.data.total.toFixed(2)}`;
  }
  return null;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const key of path) cur = typeof cur === "object" && cur !== null ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  return cur;
}
