/**
 * A JSON answer of the shape `{"<field>": [item, ...]}` written in chunks of items, each turned
 * into JSON only when the client is ready for more: the 100,000 assets of GET /api/assets are
 * 44 MB of JSON, which built whole (the array of objects, its string, then its bytes) held
 * several hundred MB per request at its peak; a chunk holds a few hundred items.
 */
export function streamedJsonList<T>(field: string, items: readonly T[], toJson: (item: T) => unknown, chunkSize = 500): Response {
  const encoder = new TextEncoder();
  let next = 0;
  let started = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const end = Math.min(items.length, next + chunkSize);
      const parts: string[] = [];
      for (let i = next; i < end; i++) parts.push(JSON.stringify(toJson(items[i]!)));
      let text = started ? (parts.length > 0 ? "," : "") : `{${JSON.stringify(field)}:[`;
      started = true;
      text += parts.join(",");
      next = end;
      const done = next >= items.length;
      if (done) text += "]}";
      controller.enqueue(encoder.encode(text));
      if (done) controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "application/json" } });
}
