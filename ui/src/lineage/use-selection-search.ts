import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";

const DEBOUNCE_MS = 250;

/** The search box's text, the expression applied (from the URL), and how to apply one now. */
export interface SelectionSearch {
  /** What the box shows. */
  draft: string;
  setDraft: (text: string) => void;
  /** The applied expression: `?select=` of the URL ("" for none). */
  expression: string;
  /** Applies `text` at once (Enter), instead of after the typing pause. */
  commit: (text: string) => void;
}

/**
 * The lineage search: applied from the URL's `?select=` (so a filtered view can be linked and
 * reloaded), written there a moment after typing stops, or at once on `commit`.
 */
export function useSelectionSearch(): SelectionSearch {
  const [params, setParams] = useSearchParams();
  const expression = params.get("select") ?? "";
  const [draft, setDraft] = useState(expression);
  const written = useRef(expression);
  // A new URL from elsewhere (back, a link) replaces the box's text; our own writes do not.
  useEffect(() => {
    if (expression !== written.current) setDraft(expression);
    written.current = expression;
  }, [expression]);
  const commit = useCallback(
    (text: string) => {
      written.current = text.trim() ? text : "";
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (text.trim()) next.set("select", text);
          else next.delete("select");
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  useEffect(() => {
    if (draft === expression) return;
    const timer = setTimeout(() => commit(draft), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [draft, expression, commit]);
  return { draft, setDraft, expression, commit };
}
