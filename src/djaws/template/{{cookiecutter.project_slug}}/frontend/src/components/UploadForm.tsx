"use client";

import { type DragEvent, type FormEvent, useEffect, useRef, useState } from "react";

import { Alert, Button, Card } from "@/components/ui";
import { api, ApiError, uploadToStorage } from "@/lib/api";
import { NOTICE_DURATION_MS } from "@/lib/config";
import { acceptedTypesText, sizeProblem, typeLabel, typeProblem, uploadProblem } from "@/lib/fileTypes";
import { formatBytes } from "@/lib/format";
import type { FileRecord, UploadPolicy } from "@/lib/types";

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

/** The server refused the upload: its reason in the same words the browser's own check uses. */
function refusalMessage(caught: unknown, file: File, policy: UploadPolicy | null): string {
  if (!(caught instanceof ApiError)) return "The upload failed. Please try again.";
  const { fields } = caught.details;
  if (policy && fields.content_type) return typeProblem(file, policy);
  if (policy && fields.size) return sizeProblem(file, policy);
  return caught.message;
}

function usePolicy(): [UploadPolicy | null, string | null] {
  const [policy, setPolicy] = useState<UploadPolicy | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    api.uploadPolicy().then(
      (loaded) => !cancelled && setPolicy(loaded),
      (caught: unknown) => !cancelled && setError(caught instanceof ApiError ? caught.message : "Cannot load the upload rules."),
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return [policy, error];
}

/**
 * Pick or drop a file; it is checked against the backend's policy at once, then uploaded in three steps:
 * ask the API for a presigned POST, send the file to storage, tell the API it is there.
 */
export function UploadForm({ onFileChange, onFileRemoved }: UploadFormProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [policy, policyError] = usePolicy();
  const [selected, setSelected] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const [dragging, setDragging] = useState(false);
  const busy = state.phase === "uploading" || state.phase === "finishing";
  const selectionProblem = selected && policy ? uploadProblem(selected, policy) : null;

  // "Uploaded x." is a success message: it goes away by itself.
  useEffect(() => {
    if (state.phase !== "done") return;
    const timer = setTimeout(() => setState({ phase: "idle" }), NOTICE_DURATION_MS);
    return () => clearTimeout(timer);
  }, [state]);

  function choose(file: File | null) {
    if (busy) return;
    setSelected(file);
    const problem = file && policy ? uploadProblem(file, policy) : null;
    setState(problem ? { phase: "error", message: problem } : { phase: "idle" });
  }

  function drop(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) choose(file);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!selected || busy || !policy) return;
    const file = selected;
    const problem = uploadProblem(file, policy);
    if (problem) {
      setState({ phase: "error", message: problem });
      return;
    }
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
      if (inputRef.current) {
        inputRef.current.value = "";
        // Ready for the next file (the button it came from has nothing to upload now).
        inputRef.current.focus();
      }
    } catch (caught) {
      setState({ phase: "error", message: refusalMessage(caught, file, policy) });
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
  const rules = policy ? (
    <span data-testid="allowed-types">
      {acceptedTypesText(policy).replace(/^./, (first) => first.toUpperCase())}, up to {formatBytes(policy.max_bytes)}.
    </span>
  ) : (
    <span>{policyError ?? "Loading the upload rules…"}</span>
  );

  return (
    <Card title="Upload a file" description={rules} testId="upload-card">
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Upload a file" data-testid="upload-form">
        <label
          htmlFor="file-input"
          data-testid="dropzone"
          data-dragging={dragging}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
          className={`flex min-h-32 cursor-pointer flex-col items-center justify-center gap-1 rounded-xl border-2 border-dashed px-4 py-6 text-center transition motion-reduce:transition-none has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-600 ${dragging ? "border-indigo-600 bg-indigo-50" : "border-slate-300 bg-slate-50 hover:bg-slate-100"}`}
        >
          <span className="text-base font-medium text-slate-900">
            Drop a file here or <span className="text-indigo-700 underline underline-offset-4">choose one</span>
          </span>
          {selected ? (
            <span className="text-sm text-slate-700" data-testid="selected-file">
              {selected.name} · {typeLabel(selected.type || "application/octet-stream")} · {formatBytes(selected.size)}
            </span>
          ) : (
            <span className="text-sm text-slate-600">One file at a time.</span>
          )}
          <input
            ref={inputRef}
            id="file-input"
            name="file"
            type="file"
            aria-label="File"
            accept={policy?.allowed_content_types.join(",")}
            onChange={(event) => choose(event.target.files?.[0] ?? null)}
            data-testid="file-input"
            className="sr-only"
          />
        </label>
        <Button
          type="submit"
          pending={busy}
          disabled={!selected || !policy || selectionProblem !== null}
          className="self-start"
          data-testid="upload-submit"
        >
          {busy ? "Uploading…" : "Upload"}
        </Button>
        {state.phase !== "idle" && state.phase !== "error" ? (
          <div className="flex flex-col gap-2">
            <div
              role="progressbar"
              aria-label="Upload progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(progress * 100)}
              data-testid="upload-progress"
              className="h-2 overflow-hidden rounded-full bg-slate-200"
            >
              <div
                className={`h-full rounded-full transition-[width] duration-200 motion-reduce:transition-none ${state.phase === "done" ? "bg-emerald-600" : "bg-indigo-600"}`}
                style={{ width: `${Math.round(progress * 100)}%` }}
              />
            </div>
          </div>
        ) : null}
        <div role="status" aria-live="polite" className="empty:hidden">
          {state.phase !== "idle" && state.phase !== "error" ? (
            <p data-testid="upload-status" data-phase={state.phase} className="text-sm text-slate-700">
              {statusText(state)}
            </p>
          ) : null}
        </div>
        {state.phase === "error" ? <Alert testId="upload-error">{state.message}</Alert> : null}
      </form>
    </Card>
  );
}
