/** Shapes of the JSON the backend sends and accepts under /api. */

export type FileStatus = "pending" | "uploaded" | "processed" | "failed";

export interface FileRecord {
  id: string | number;
  filename: string;
  content_type: string;
  size: number;
  status: FileStatus;
  failure_reason: string;
  checksum_sha256: string | null;
  detected_type: string | null;
  created_at: string;
  uploaded_at: string | null;
  processed_at: string | null;
}

export interface User {
  id: string | number;
  email: string;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

/** A cursor page: follow `next` (only its query string matters) until it is null. */
export interface Page<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A presigned POST: send every field, then the file last under the name "file". */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

export interface UploadTicket {
  file: FileRecord;
  upload: PresignedPost;
  expires_in: number;
}

export interface DownloadLink {
  url: string;
  expires_in: number;
}

export interface FileProcessedMessage {
  type: "file.processed";
  file: FileRecord;
}

/** What the uploads endpoint accepts (GET /api/files/policy/), read from the backend's settings. */
export interface UploadPolicy {
  allowed_content_types: string[];
  max_bytes: number;
}
