import { describe, expect, it } from "vitest";
import { streamedJsonList } from "./streamed-json.js";

describe("streamedJsonList", () => {
  const items = Array.from({ length: 7 }, (_, i) => ({ n: i, text: `"quoted" ${i}`, none: null, list: [i] }));

  it.each([1, 3, 7, 500])("writes the same JSON as JSON.stringify, in chunks of %i", async (chunkSize) => {
    const response = streamedJsonList("assets", items, (item) => ({ ...item, double: item.n * 2 }), chunkSize);
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    expect(text).toBe(JSON.stringify({ assets: items.map((item) => ({ ...item, double: item.n * 2 })) }));
  });

  it("writes an empty list", async () => {
    expect(await streamedJsonList("assets", [], (x) => x).text()).toBe('{"assets":[]}');
  });

  it("turns items into JSON only as the reader asks for more", async () => {
    const made: number[] = [];
    const response = streamedJsonList("assets", items, (item) => (made.push(item.n), item), 2);
    const reader = response.body!.getReader();
    await reader.read();
    expect(made.length).toBeLessThan(items.length);
    while (!(await reader.read()).done);
    expect(made).toEqual(items.map((i) => i.n));
  });
});
