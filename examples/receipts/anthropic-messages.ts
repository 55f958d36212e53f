/**
 * The part of the Anthropic Messages API (POST /v1/messages) this pipeline speaks: one user turn
 * with an image and a question, one text answer.
 */

/** The API version header every request carries. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** A content block of a message. */
export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: "image/png" | "image/jpeg" | "image/gif" | "image/webp"; data: string } };

/** The request body of POST /v1/messages. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: { role: "user" | "assistant"; content: ContentBlock[] }[];
}

/** The response body of POST /v1/messages. */
export interface MessagesResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: string | null;
  usage: { input_tokens: number; output_tokens: number };
}

/** A request asking `prompt` about one image. */
export function imageQuestion(model: string, maxTokens: number, image: Uint8Array, mediaType: string, prompt: string): MessagesRequest {
  return {
    model,
    max_tokens: maxTokens,
    messages: [
      {
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: mediaType as "image/png", data: Buffer.from(image).toString("base64") } },
          { type: "text", text: prompt },
        ],
      },
    ],
  };
}

/** The answer's text (its first text block); throws when it has none. */
export function answerText(response: MessagesResponse): string {
  const block = response.content?.find((b) => b.type === "text");
  if (!block || block.type !== "text") throw new Error(`the response has no text block (stop_reason: ${response.stop_reason ?? "none"})`);
  return block.text;
}
