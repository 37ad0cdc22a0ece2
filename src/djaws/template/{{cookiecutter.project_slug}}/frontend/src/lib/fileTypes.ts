/** Words for content types and sizes, and the check a file must pass before it is uploaded. */
import { formatBytes } from "./format";
import type { UploadPolicy } from "./types";

// Display names only: which types are accepted comes from the backend (GET /api/files/policy/).
const LABELS: Record<string, string> = {
  "application/pdf": "PDF document",
  "application/zip": "ZIP archive",
  "application/json": "JSON file",
  "image/gif": "GIF image",
  "image/jpeg": "JPEG image",
  "image/png": "PNG image",
  "image/svg+xml": "SVG image",
  "image/webp": "WebP image",
  "text/csv": "CSV file",
  "text/plain": "Text file",
};

/** "image/png" -> "PNG image"; a type without a name here -> its subtype, e.g. "X-TAR file". */
export function typeLabel(contentType: string): string {
  const known = LABELS[contentType];
  if (known) return known;
  const subtype = contentType.split("/")[1]?.split(";")[0]?.trim();
  return subtype ? `${subtype.toUpperCase()} file` : "File";
}

/** The accepted types as one phrase: "PNG image, PDF document or Text file". */
export function acceptedTypesText(policy: UploadPolicy): string {
  const labels = [...new Set(policy.allowed_content_types.map(typeLabel))];
  return new Intl.ListFormat("en", { type: "disjunction" }).format(labels);
}

export function contentTypeOf(file: Pick<File, "type">): string {
  return file.type || "application/octet-stream";
}

export function typeProblem(file: Pick<File, "name">, policy: UploadPolicy): string {
  return `"${file.name}" can't be uploaded because its type isn't accepted. You can upload a ${acceptedTypesText(policy)}.`;
}

export function sizeProblem(file: Pick<File, "name" | "size">, policy: UploadPolicy): string {
  return `"${file.name}" is ${formatBytes(file.size)}, over the ${formatBytes(policy.max_bytes)} limit.`;
}

/** Why the backend would refuse this file, in words, or null when it may be uploaded. */
export function uploadProblem(file: File, policy: UploadPolicy): string | null {
  if (!policy.allowed_content_types.includes(contentTypeOf(file))) return typeProblem(file, policy);
  if (file.size > policy.max_bytes) return sizeProblem(file, policy);
  if (file.size === 0) return `"${file.name}" is empty.`;
  return null;
}
