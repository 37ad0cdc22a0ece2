/**
 * One file's record reaches the page three ways: the upload's own responses, the websocket and the
 * list polls. They can arrive in any order (the worker may finish before `/complete/` answers), so a
 * record only ever replaces one at the same stage or an earlier one: the status never goes backwards.
 */
import type { FileRecord, FileStatus } from "./types";

const STAGE: Record<FileStatus, number> = { pending: 0, uploaded: 1, processed: 2, failed: 2 };

/** The record to keep: `incoming` unless it describes an earlier stage than `current`. */
export function newerRecord(current: FileRecord, incoming: FileRecord): FileRecord {
  return STAGE[incoming.status] >= STAGE[current.status] ? incoming : current;
}

/** The list with `incoming` added at the top, or merged into its existing row. */
export function mergeFile(files: readonly FileRecord[], incoming: FileRecord): FileRecord[] {
  const index = files.findIndex((file) => file.id === incoming.id);
  if (index === -1) return [incoming, ...files];
  return files.map((file, position) => (position === index ? newerRecord(file, incoming) : file));
}

/** The list with each row merged with its fresh copy from a poll (rows the poll did not return stay). */
export function mergeFiles(files: readonly FileRecord[], fresh: readonly FileRecord[]): FileRecord[] {
  const byId = new Map(fresh.map((file) => [file.id, file]));
  return files.map((file) => {
    const update = byId.get(file.id);
    return update ? newerRecord(file, update) : file;
  });
}
