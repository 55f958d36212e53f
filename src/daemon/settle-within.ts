/**
 * Waits for `work` to settle, but at most `ms` (Infinity: as long as it takes; 0: not at all).
 * Never rejects: what `work` throws is its own handlers' business, as it goes on either way.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  if (ms === Infinity) return settled;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
