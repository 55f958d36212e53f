/** Re-reading for pages the live stream says nothing about (schedule and sensor ticks). */
import { useEffect } from "react";

/** Calls `reload` every `intervalMs` while the page is visible. */
export function usePolling(reload: () => void, intervalMs: number): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [reload, intervalMs]);
}
