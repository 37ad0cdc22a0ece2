"use client";

import { type FormEvent, useRef, useState } from "react";

import { Alert, Button, Card } from "@/components/ui";
import { api, ApiError, uploadToStorage } from "@/lib/api";
import { formatBytes } from "@/lib/format";
import { ALLOWED_CONTENT_TYPES, type FileRecord } from "@/lib/types";

type UploadState =
  | { phase: "idle" }
  | { phase: "uploading"; filename: string; progress: number }
  | { phase: "finishing"; filename: string }
  | { phase: "done"; filename: string }
  | { phase: "error"; message: string };

interface UploadFormProps {
  /** A file record appeared or changed (created as pending, then completed). */
  onFileChange: (file: FileRecord) => void;
  /** A pending record was given up after a failed upload. */
  onFileRemoved: (id: FileRecord["id"]) => void;
}

function statusText(state: UploadState): string {
  switch (state.phase) {
    case "uploading":
      return `Uploading ${state.filename}… ${Math.round(state.progress * 100)}%`;
    case "finishing":
      return `Checking ${state.filename}…`;
    case "done":
      return `Uploaded ${state.filename}.`;
    default:
      return "";
  }
}

/** Three steps: ask the API for a presigned POST, send the file to storage, tell the API it is there. */
export function UploadForm({ onFileChange, onFileRemoved }: UploadFormProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [selected, setSelected] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const busy = state.phase === "uploading" || state.phase === "finishing";

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!selected) return;
    const file = selected;
    let pendingId: FileRecord["id"] | null = null;
    setState({ phase: "uploading", filename: file.name, progress: 0 });
    try {
      const ticket = await api.createUpload(file);
      pendingId = ticket.file.id;
      onFileChange(ticket.file);
      await uploadToStorage(ticket.upload, file, (progress) =>
        setState({ phase: "uploading", filename: file.name, progress }),
      );
      setState({ phase: "finishing", filename: file.name });
      onFileChange(await api.completeUpload(ticket.file.id));
      pendingId = null;
      setState({ phase: "done", filename: file.name });
      setSelected(null);
      if (inputRef.current) inputRef.current.value = "";
    } catch (caught) {
      const message = caught instanceof ApiError ? caught.message : "The upload failed. Please try again.";
      setState({ phase: "error", message });
      if (pendingId !== null) {
        const abandoned = pendingId;
        api.deleteFile(abandoned).then(
          () => onFileRemoved(abandoned),
          () => undefined, // Leave the record listed if even the clean-up fails.
        );
      }
    }
  }

  const progress = state.phase === "uploading" ? state.progress : state.phase === "idle" ? 0 : 1;

  return (
    <Card
      title="Upload a file"
      description="Images (PNG, JPEG, GIF, WebP), PDF, plain text, CSV or ZIP. The server checks the type and size."
    >
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Upload a file">
        <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
          <div className="flex flex-1 flex-col gap-1.5">
            <label htmlFor="file-input" className="text-sm font-medium text-slate-700">
              File
            </label>
            <input
              ref={inputRef}
              id="file-input"
              name="file"
              type="file"
              accept={ALLOWED_CONTENT_TYPES.join(",")}
              required
              disabled={busy}
              onChange={(event) => {
                setSelected(event.target.files?.[0] ?? null);
                setState({ phase: "idle" });
              }}
              data-testid="file-input"
              className="block w-full rounded-lg border border-slate-300 bg-white text-sm text-slate-700 file:mr-3 file:border-0 file:border-r file:border-slate-300 file:bg-slate-50 file:px-3 file:py-2 file:text-sm file:font-medium file:text-slate-700 hover:file:bg-slate-100"
            />
          </div>
          <Button type="submit" disabled={!selected || busy} data-testid="upload-submit">
            {busy ? "Uploading…" : "Upload"}
          </Button>
        </div>
        <p className="font-mono text-xs text-slate-400" data-testid="allowed-types">
          Accepted: {ALLOWED_CONTENT_TYPES.join(", ")}
        </p>
        {selected && state.phase === "idle" ? (
          <p className="text-sm text-slate-500">
            {selected.name} · {formatBytes(selected.size)} · {selected.type || "unknown type"}
          </p>
        ) : null}
        {state.phase !== "idle" && state.phase !== "error" ? (
          <div className="flex flex-col gap-2">
            <div
              role="progressbar"
              aria-label="Upload progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(progress * 100)}
              data-testid="upload-progress"
              className="h-2 overflow-hidden rounded-full bg-slate-100"
            >
              <div
                className={`h-full rounded-full transition-[width] duration-200 ${state.phase === "done" ? "bg-emerald-500" : "bg-indigo-600"}`}
                style={{ width: `${Math.round(progress * 100)}%` }}
              />
            </div>
            <p role="status" data-testid="upload-status" data-phase={state.phase} className="text-sm text-slate-600">
              {statusText(state)}
            </p>
          </div>
        ) : null}
        {state.phase === "error" ? (
          <Alert tone="error" testId="upload-error">
            {state.message}
          </Alert>
        ) : null}
      </form>
    </Card>
  );
}
