"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState } from "react";

import { FileList } from "@/components/FileList";
import { SiteHeader } from "@/components/SiteHeader";
import { Alert, Button, Card } from "@/components/ui";
import { UploadForm } from "@/components/UploadForm";
import { api, ApiError } from "@/lib/api";
import { WEBSOCKET_ENABLED } from "@/lib/config";
import { connectNotifications } from "@/lib/notifications";
import { useSignedIn } from "@/lib/session";
import type { FileRecord, User } from "@/lib/types";

type FileId = FileRecord["id"];

const FIRST_POLL_DELAY_MS = 2000;
const MAX_POLL_DELAY_MS = 15_000;

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
}

/** Follows a (presigned) download URL without leaving the page when the server sends an attachment. */
function startDownload(url: string, filename: string): void {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

function LiveIndicator({ connected }: { connected: boolean }) {
  return (
    <span
      data-testid="live-indicator"
      data-connected={connected}
      className="inline-flex items-center gap-1.5 text-xs text-slate-500"
    >
      <span aria-hidden="true" className={`size-2 rounded-full ${connected ? "bg-emerald-500" : "bg-slate-300"}`} />
      {connected ? "Live" : "Connecting…"}
    </span>
  );
}

/** The signed-in page: upload, list, download and delete files; sign out. */
export function FilesDashboard() {
  const router = useRouter();
  const signedIn = useSignedIn();
  const [user, setUser] = useState<User | null>(null);
  const [files, setFiles] = useState<FileRecord[] | null>(null);
  const [nextPage, setNextPage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busyIds, setBusyIds] = useState<ReadonlySet<FileId>>(new Set());
  const [live, setLive] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  // Signed out here, in another tab, or by a failed token refresh.
  useEffect(() => {
    if (signedIn === false) router.replace("/");
  }, [signedIn, router]);

  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    Promise.all([api.me(), api.listFiles()]).then(
      ([me, page]) => {
        if (cancelled) return;
        setUser(me);
        setFiles(page.results);
        setNextPage(page.next);
      },
      (caught: unknown) => {
        if (!cancelled) setError(messageOf(caught));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [signedIn]);

  const upsertFile = useCallback((file: FileRecord) => {
    setFiles((current) => {
      const list = current ?? [];
      const index = list.findIndex((existing) => existing.id === file.id);
      if (index === -1) return [file, ...list];
      return list.map((existing, position) => (position === index ? file : existing));
    });
  }, []);

  const removeFile = useCallback((id: FileId) => {
    setFiles((current) => current?.filter((file) => file.id !== id) ?? current);
  }, []);

  useEffect(() => {
    if (!signedIn || !WEBSOCKET_ENABLED) return;
    return connectNotifications({ onFile: upsertFile, onConnectionChange: setLive });
  }, [signedIn, upsertFile]);

  // Poll (ever more slowly) while a file waits for processing, live or not: an event sent while the socket
  // was (re)connecting is never delivered. A connection change starts over at the short first delay.
  const waitingForProcessing = files?.some((file) => file.status === "uploaded") ?? false;
  useEffect(() => {
    if (!waitingForProcessing) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = FIRST_POLL_DELAY_MS;
    const poll = () => {
      timer = setTimeout(() => {
        api
          .listFiles()
          .then((page) => {
            if (cancelled) return;
            const fresh = new Map(page.results.map((file) => [file.id, file]));
            setFiles((current) => current?.map((file) => fresh.get(file.id) ?? file) ?? current);
          })
          .catch(() => undefined)
          .finally(() => {
            delay = Math.min(MAX_POLL_DELAY_MS, delay * 1.5);
            if (!cancelled) poll();
          });
      }, delay);
    };
    poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [waitingForProcessing, live]);

  function setBusy(id: FileId, busy: boolean) {
    setBusyIds((current) => {
      const next = new Set(current);
      if (busy) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  async function download(file: FileRecord) {
    setBusy(file.id, true);
    setError(null);
    try {
      const link = await api.downloadLink(file.id);
      startDownload(link.url, file.filename);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(file.id, false);
    }
  }

  async function remove(file: FileRecord) {
    setBusy(file.id, true);
    setError(null);
    try {
      await api.deleteFile(file.id);
      removeFile(file.id);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(file.id, false);
    }
  }

  async function loadMore() {
    if (!nextPage) return;
    try {
      const page = await api.listFiles(nextPage);
      setFiles((current) => {
        const known = new Set((current ?? []).map((file) => file.id));
        return [...(current ?? []), ...page.results.filter((file) => !known.has(file.id))];
      });
      setNextPage(page.next);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  async function signOut() {
    setSigningOut(true);
    await api.signOut(); // Clearing the tokens sends this page back to "/".
  }

  return (
    <>
      <SiteHeader>
        {user ? (
          <span className="hidden text-sm text-slate-600 sm:inline" data-testid="current-user">
            {user.email}
          </span>
        ) : null}
        <Button variant="secondary" onClick={signOut} disabled={signingOut || !signedIn} data-testid="sign-out">
          Sign out
        </Button>
      </SiteHeader>
      <main className="mx-auto flex w-full max-w-5xl flex-1 flex-col gap-6 px-4 py-10 sm:px-6">
        <UploadForm onFileChange={upsertFile} onFileRemoved={removeFile} />
        <Card
          title="Your files"
          description="Uploaded files are checked in the background; downloads use short-lived links."
          aside={WEBSOCKET_ENABLED ? <LiveIndicator connected={live} /> : null}
        >
          <div className="flex flex-col gap-4">
            {error ? <Alert tone="error" testId="files-error">{error}</Alert> : null}
            {files === null ? (
              error ? null : <p className="py-6 text-center text-sm text-slate-500">Loading your files…</p>
            ) : (
              <FileList files={files} busyIds={busyIds} onDownload={download} onDelete={remove} />
            )}
            {nextPage ? (
              <Button variant="secondary" onClick={loadMore} className="self-center" data-testid="load-more">
                Load more
              </Button>
            ) : null}
          </div>
        </Card>
      </main>
    </>
  );
}
