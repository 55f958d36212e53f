import type { NewEvent } from "../records.js";
import type { Storage } from "../storage.js";

/** The real storage, recording the event types of each transaction it is asked to commit. */
export function countingTransactions(storage: Storage): { storage: Storage; transactions: string[][] } {
  const transactions: string[][] = [];
  const counting = new Proxy(storage, {
    get(target, prop) {
      if (prop === "storeEvent")
        return (event: NewEvent) => {
          transactions.push([event.type]);
          return target.storeEvent(event);
        };
      if (prop === "storeEvents")
        return (events: NewEvent[]) => {
          transactions.push(events.map((e) => e.type));
          return target.storeEvents(events);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage: counting, transactions };
}
