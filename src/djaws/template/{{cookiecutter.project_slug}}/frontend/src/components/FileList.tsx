"use client";

import { useEffect, useRef } from "react";

import { StatusBadge } from "@/components/StatusBadge";
import { Button, FOCUS_RING } from "@/components/ui";
import { typeLabel } from "@/lib/fileTypes";
import { formatBytes, formatDate } from "@/lib/format";
import type { FileRecord } from "@/lib/types";

type FileId = FileRecord["id"];

interface FileListProps {
  files: FileRecord[];
  /** Files with a request under way (their buttons say so and ignore clicks). */
  busyIds: ReadonlySet<FileId>;
  /** The file whose row asks "Delete this file?". */
  confirmingId: FileId | null;
  onDownload: (file: FileRecord) => void;
  onAskDelete: (file: FileRecord) => void;
  onCancelDelete: (file: FileRecord) => void;
  onConfirmDelete: (file: FileRecord) => void;
}

function canDownload(file: FileRecord): boolean {
  return file.status === "uploaded" || file.status === "processed";
}

/** The checksum, detected type and times: useful, but not what a row is about. */
function FileDetails({ file }: { file: FileRecord }) {
  const rows: [string, string][] = [
    ["Type", file.content_type],
    ["Detected type", file.detected_type || "—"],
    ["Uploaded", formatDate(file.uploaded_at)],
    ["Checked", formatDate(file.processed_at)],
  ];
  return (
    <details className="group mt-1 text-sm text-slate-700">
      <summary
        className={`inline-flex min-h-11 cursor-pointer items-center rounded-md text-indigo-700 sm:min-h-8 ${FOCUS_RING} focus-visible:outline-indigo-600`}
        data-testid="file-details-toggle"
      >
        Details
      </summary>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1" data-testid="file-details">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600">{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
        {file.checksum_sha256 ? (
          <div className="contents">
            <dt className="text-slate-600">SHA-256</dt>
            <dd className="font-mono text-xs break-all" data-testid="file-checksum">
              {file.checksum_sha256}
            </dd>
          </div>
        ) : null}
      </dl>
    </details>
  );
}

function ConfirmDelete({ file, busy, onCancel, onConfirm }: {
  file: FileRecord;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  // The safe choice takes the focus, so a second Enter does not delete by accident.
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div role="group" aria-label={`Delete ${file.filename}?`} className="flex flex-wrap items-center gap-2" data-testid="delete-confirmation">
      <span className="text-sm text-slate-800">Delete this file?</span>
      <Button ref={cancelRef} variant="secondary" onClick={onCancel} data-testid="file-delete-cancel">
        Keep it
      </Button>
      <Button variant="danger" pending={busy} onClick={onConfirm} data-testid="file-delete-confirm">
        {busy ? "Deleting…" : "Delete"}
      </Button>
    </div>
  );
}

export function FileList(props: FileListProps) {
  const { files, busyIds, confirmingId, onDownload, onAskDelete, onCancelDelete, onConfirmDelete } = props;
  if (files.length === 0) {
    return (
      <p data-testid="files-empty" className="rounded-xl border border-dashed border-slate-300 p-8 text-center text-sm text-slate-600">
        No files yet. Upload your first one above.
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
            className="flex flex-col gap-3 py-4 sm:flex-row sm:items-start sm:justify-between"
          >
            <div className="min-w-0">
              <div className="flex flex-wrap items-center gap-2">
                <span className="truncate font-medium text-slate-900" data-testid="file-name">
                  {file.filename}
                </span>
                <StatusBadge status={file.status} />
              </div>
              <p className="mt-1 text-sm text-slate-600" data-testid="file-summary">
                <span data-testid="file-type">{typeLabel(file.content_type)}</span> · {formatBytes(file.size)} ·{" "}
                {formatDate(file.created_at)}
              </p>
              {file.status === "failed" ? (
                <p className="mt-1 text-sm text-red-700" data-testid="file-failure">
                  This file could not be checked{file.failure_reason ? `: ${file.failure_reason}` : ""}.
                </p>
              ) : null}
              <FileDetails file={file} />
            </div>
            {confirmingId === file.id ? (
              <ConfirmDelete
                file={file}
                busy={busy}
                onCancel={() => onCancelDelete(file)}
                onConfirm={() => onConfirmDelete(file)}
              />
            ) : (
              <div className="flex shrink-0 gap-2">
                <Button
                  variant="secondary"
                  pending={busy}
                  disabled={!canDownload(file)}
                  onClick={() => onDownload(file)}
                  aria-label={`Download ${file.filename}`}
                  data-testid="file-download"
                >
                  {busy ? "Preparing…" : "Download"}
                </Button>
                <Button
                  variant="danger"
                  onClick={() => onAskDelete(file)}
                  aria-label={`Delete ${file.filename}`}
                  data-testid="file-delete"
                >
                  Delete
                </Button>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
