"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";

import { FileList } from "@/components/FileList";
import { SiteHeader } from "@/components/SiteHeader";
import { Alert, Button, Card, Notice } from "@/components/ui";
import { UploadForm } from "@/components/UploadForm";
import { api, ApiError } from "@/lib/api";
import { WEBSOCKET_ENABLED } from "@/lib/config";
import { mergeFile, mergeFiles } from "@/lib/fileStatus";
import { connectNotifications } from "@/lib/notifications";
import { useNotice } from "@/lib/notice";
import { useSignedIn } from "@/lib/session";
import type { FileRecord, User } from "@/lib/types";

type FileId = FileRecord["id"];
/** Where the keyboard focus goes once the next render is on screen. */
type FocusTarget = { kind: "list-heading" } | { kind: "delete-button"; id: FileId };

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
      className="inline-flex shrink-0 items-center gap-1.5 text-sm text-slate-600"
    >
      <span aria-hidden="true" className={`size-2 rounded-full ${connected ? "bg-emerald-600" : "bg-slate-400"}`} />
      {connected ? "Live" : "Connecting…"}
    </span>
  );
}

/** The page's frame while it finds out who is signed in: no dashboard is shown to a signed-out visitor. */
function LoadingShell() {
  return (
    <>
      <SiteHeader />
      <main aria-busy="true" className="mx-auto flex w-full max-w-5xl flex-1 items-center justify-center px-4 py-16">
        <p className="text-sm text-slate-600" data-testid="files-loading">
          Loading…
        </p>
      </main>
    </>
  );
}

/** /files: the dashboard for a signed-in visitor; anyone else goes back to "/" without seeing it. */
export function FilesDashboard() {
  const router = useRouter();
  const signedIn = useSignedIn();

  // Signed out here, in another tab, or by a failed token refresh.
  useEffect(() => {
    if (signedIn === false) router.replace("/");
  }, [signedIn, router]);

  return signedIn ? <Dashboard /> : <LoadingShell />;
}

/** Upload, list, download and delete files; sign out. */
function Dashboard() {
  const [user, setUser] = useState<User | null>(null);
  const [files, setFiles] = useState<FileRecord[] | null>(null);
  const [nextPage, setNextPage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busyIds, setBusyIds] = useState<ReadonlySet<FileId>>(new Set());
  const [confirmingId, setConfirmingId] = useState<FileId | null>(null);
  const [live, setLive] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [notice, showNotice] = useNotice();
  const pageHeading = useRef<HTMLHeadingElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  // Set by an action, used after the render the action causes (the element to focus may only exist then).
  const focusAfterRender = useRef<FocusTarget | null>(null);

  // Arriving from sign-in or registration, the focus starts at the page's heading, not on the body.
  useEffect(() => pageHeading.current?.focus(), []);

  useEffect(() => {
    const wanted = focusAfterRender.current;
    if (!wanted) return;
    focusAfterRender.current = null;
    const target =
      wanted.kind === "list-heading"
        ? listHeading.current
        : document.querySelector<HTMLElement>(
            `[data-file-id="${CSS.escape(String(wanted.id))}"] [data-testid="file-delete"]`,
          );
    target?.focus();
  });

  useEffect(() => {
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
  }, []);

  // Every update goes through mergeFile(s): a late response never takes a file's status back.
  const upsertFile = useCallback((file: FileRecord) => {
    setFiles((current) => mergeFile(current ?? [], file));
  }, []);

  const refreshFiles = useCallback(() => {
    api.listFiles().then(
      (page) => setFiles((current) => (current ? mergeFiles(current, page.results) : current)),
      () => undefined, // The next refresh tries again.
    );
  }, []);

  const removeFile = useCallback((id: FileId) => {
    setFiles((current) => current?.filter((file) => file.id !== id) ?? current);
  }, []);

  useEffect(() => {
    if (!WEBSOCKET_ENABLED) return;
    return connectNotifications({
      onFile: upsertFile,
      onConnectionChange: (connected) => {
        setLive(connected);
        // Events sent while the socket was down are never delivered: catch up once on (re)connecting.
        if (connected) refreshFiles();
      },
    });
  }, [upsertFile, refreshFiles]);

  // Without a live socket, poll (ever more slowly) while a file waits for processing.
  const waitingForProcessing = files?.some((file) => file.status === "uploaded") ?? false;
  const shouldPoll = waitingForProcessing && !live;
  useEffect(() => {
    if (!shouldPoll) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = FIRST_POLL_DELAY_MS;
    const poll = () => {
      timer = setTimeout(() => {
        refreshFiles();
        delay = Math.min(MAX_POLL_DELAY_MS, delay * 1.5);
        poll();
      }, delay);
    };
    poll();
    return () => clearTimeout(timer);
  }, [shouldPoll, refreshFiles]);

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
      showNotice(`Downloading ${file.filename}…`);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(file.id, false);
    }
  }

  function cancelDelete(file: FileRecord) {
    focusAfterRender.current = { kind: "delete-button", id: file.id };
    setConfirmingId(null);
  }

  async function confirmDelete(file: FileRecord) {
    setBusy(file.id, true);
    setError(null);
    try {
      await api.deleteFile(file.id);
      focusAfterRender.current = { kind: "list-heading" };
      removeFile(file.id);
      setConfirmingId(null);
      showNotice(`Deleted ${file.filename}.`);
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

  const account = user ? (
    <p className="truncate">
      Signed in as{" "}
      <span className="font-medium text-slate-900" data-testid="current-user">
        {user.email}
      </span>
    </p>
  ) : null;

  return (
    <>
      <SiteHeader account={account}>
        <Button variant="secondary" onClick={signOut} pending={signingOut} data-testid="sign-out">
          Sign out
        </Button>
      </SiteHeader>
      <main className="mx-auto flex w-full max-w-5xl flex-1 flex-col gap-6 px-4 py-8 sm:px-6 sm:py-10">
        <h1 ref={pageHeading} tabIndex={-1} className="text-2xl font-bold tracking-tight text-slate-900 focus:outline-none sm:text-3xl">
          Your files
        </h1>
        <UploadForm onFileChange={upsertFile} onFileRemoved={removeFile} />
        <Card
          title="Uploaded files"
          description="Each file is checked after upload; downloads use private links that expire after a few minutes."
          aside={WEBSOCKET_ENABLED ? <LiveIndicator connected={live} /> : null}
          headingRef={listHeading}
          testId="files-card"
        >
          <div className="flex flex-col gap-4">
            <Notice text={notice} testId="files-notice" />
            {error ? <Alert testId="files-error">{error}</Alert> : null}
            {files === null ? (
              error ? null : <p className="py-6 text-center text-sm text-slate-600">Loading your files…</p>
            ) : (
              <FileList
                files={files}
                busyIds={busyIds}
                confirmingId={confirmingId}
                onDownload={download}
                onAskDelete={(file) => setConfirmingId(file.id)}
                onCancelDelete={cancelDelete}
                onConfirmDelete={confirmDelete}
              />
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
