"use client";

import { Button } from "@/components/ui";
import { StatusBadge } from "@/components/StatusBadge";
import { formatBytes, formatDate } from "@/lib/format";
import type { FileRecord } from "@/lib/types";

interface FileListProps {
  files: FileRecord[];
  busyIds: ReadonlySet<FileRecord["id"]>;
  onDownload: (file: FileRecord) => void;
  onDelete: (file: FileRecord) => void;
}

function canDownload(file: FileRecord): boolean {
  return file.status === "uploaded" || file.status === "processed";
}

export function FileList({ files, busyIds, onDownload, onDelete }: FileListProps) {
  if (files.length === 0) {
    return (
      <p data-testid="files-empty" className="rounded-xl border border-dashed border-slate-300 p-8 text-center text-sm text-slate-500">
        No files yet. Upload one above.
      </p>
    );
  }
  return (
    <ul data-testid="files-list" aria-label="Your files" className="divide-y divide-slate-200">
      {files.map((file) => {
        const busy = busyIds.has(file.id);
        return (
          <li
            key={file.id}
            data-testid="file-row"
            data-file-id={file.id}
            data-filename={file.filename}
            data-status={file.status}
            className="flex flex-col gap-3 py-4 sm:flex-row sm:items-center sm:justify-between"
          >
            <div className="min-w-0">
              <div className="flex items-center gap-2">
                <span className="truncate font-medium text-slate-900" data-testid="file-name">
                  {file.filename}
                </span>
                <StatusBadge status={file.status} />
              </div>
              <p className="mt-1 text-xs text-slate-500">
                {formatBytes(file.size)} · {file.detected_type || file.content_type} · {formatDate(file.created_at)}
                {file.checksum_sha256 ? (
                  <span className="font-mono" title={`SHA-256 ${file.checksum_sha256}`}>
                    {" "}
                    · sha256 {file.checksum_sha256.slice(0, 12)}
                  </span>
                ) : null}
              </p>
            </div>
            <div className="flex shrink-0 gap-2">
              <Button
                variant="secondary"
                disabled={busy || !canDownload(file)}
                onClick={() => onDownload(file)}
                aria-label={`Download ${file.filename}`}
                data-testid="file-download"
              >
                Download
              </Button>
              <Button
                variant="danger"
                disabled={busy}
                onClick={() => onDelete(file)}
                aria-label={`Delete ${file.filename}`}
                data-testid="file-delete"
              >
                Delete
              </Button>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
