/**
 * Stands in for an object-detection model: labels computed from the image's bytes alone, so the
 * same image always gets the same labels (as a real model with fixed weights would). Swap in a
 * real model here; the asset around it does not change.
 */
import { createHash } from "node:crypto";

/** One detected object. */
export interface Detection {
  label: string;
  /** 0.5 to 0.99. */
  confidence: number;
}

/** What was found in one image. */
export interface DetectionResult {
  sha256: string;
  /** From the PNG header; null for other formats. */
  width: number | null;
  height: number | null;
  detections: Detection[];
}

const LABELS = ["bicycle", "bottle", "chair", "cup", "dog", "cat", "laptop", "lamp", "plant", "book", "clock", "umbrella"];

/** Detects "objects" in an image: one to three labels, chosen by the image's SHA-256. */
export function detectObjects(image: Uint8Array): DetectionResult {
  if (image.length === 0) throw new Error("the image is empty");
  const digest = createHash("sha256").update(image).digest();
  const count = 1 + (digest[0]! % 3);
  const detections: Detection[] = [];
  for (let i = 0; i < count; i++) {
    const label = LABELS[digest[1 + i]! % LABELS.length]!;
    if (detections.some((d) => d.label === label)) continue;
    detections.push({ label, confidence: Math.round((0.5 + (digest[8 + i]! / 255) * 0.49) * 100) / 100 });
  }
  detections.sort((a, b) => b.confidence - a.confidence || a.label.localeCompare(b.label));
  const isPng = image.length > 24 && Buffer.from(image.subarray(1, 4)).toString("latin1") === "PNG";
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return {
    sha256: digest.toString("hex"),
    width: isPng ? view.getUint32(16) : null,
    height: isPng ? view.getUint32(20) : null,
    detections,
  };
}
