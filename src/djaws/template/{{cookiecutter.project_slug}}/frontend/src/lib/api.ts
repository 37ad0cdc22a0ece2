/**
 * Typed client for the backend's /api. Every call is same-origin: in the cloud the load balancer
 * routes /api/* to Django, locally `next dev` rewrites it (see next.config.ts).
 *
 * Tokens live in localStorage. A 401 triggers one token refresh and one retry; when that fails the
 * tokens are dropped, which signs the user out everywhere that watches the session.
 */
import { contentTypeOf } from "./fileTypes";
import type {
  DownloadLink,
  FileRecord,
  Page,
  PresignedPost,
  TokenPair,
  UploadPolicy,
  UploadTicket,
  User,
} from "./types";

const ACCESS_KEY = "auth.access";
const REFRESH_KEY = "auth.refresh";
// Refresh a little before the access token expires so a websocket handshake does not race it.
const EXPIRY_MARGIN_SECONDS = 30;

/** A DRF error body in words: for the request as a whole, and for each invalid field. */
export interface ErrorDetails {
  /** `detail` or `non_field_errors`, as sentences; null when only fields are invalid. */
  general: string | null;
  /** Each invalid field's messages, as sentences. */
  fields: Record<string, string>;
  /** The machine-readable code some errors carry (e.g. "database_unavailable"). */
  code: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(message: string, status: number, details: ErrorDetails = { general: message, fields: {}, code: null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.details = details;
  }
}

// ---------------------------------------------------------------------------------------------
// Session (tokens in localStorage, observable for React's useSyncExternalStore)
// ---------------------------------------------------------------------------------------------

const sessionListeners = new Set<() => void>();

function storage(): Storage | null {
  return typeof window === "undefined" ? null : window.localStorage;
}

function notifySessionListeners(): void {
  for (const listener of sessionListeners) listener();
}

export const session = {
  accessToken(): string | null {
    return storage()?.getItem(ACCESS_KEY) ?? null;
  },
  refreshToken(): string | null {
    return storage()?.getItem(REFRESH_KEY) ?? null;
  },
  isSignedIn(): boolean {
    return session.refreshToken() !== null || session.accessToken() !== null;
  },
  save(tokens: TokenPair): void {
    storage()?.setItem(ACCESS_KEY, tokens.access);
    storage()?.setItem(REFRESH_KEY, tokens.refresh);
    notifySessionListeners();
  },
  clear(): void {
    storage()?.removeItem(ACCESS_KEY);
    storage()?.removeItem(REFRESH_KEY);
    notifySessionListeners();
  },
  /** Calls `listener` when this tab or another one signs in or out. */
  subscribe(listener: () => void): () => void {
    sessionListeners.add(listener);
    window.addEventListener("storage", listener);
    return () => {
      sessionListeners.delete(listener);
      window.removeEventListener("storage", listener);
    };
  },
};

let refreshInFlight: Promise<boolean> | null = null;

async function exchangeRefreshToken(): Promise<boolean> {
  const refresh = session.refreshToken();
  if (!refresh) return false;
  try {
    const response = await fetch("/api/auth/token/refresh/", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh }),
      cache: "no-store",
    });
    if (!response.ok) return false;
    const tokens = (await response.json()) as Partial<TokenPair>;
    if (!tokens.access) return false;
    // Without refresh-token rotation the server sends only a new access token.
    session.save({ access: tokens.access, refresh: tokens.refresh ?? refresh });
    return true;
  } catch {
    return false;
  }
}

/** Refreshes the access token; concurrent callers share one request. */
export function refreshSession(): Promise<boolean> {
  refreshInFlight ??= exchangeRefreshToken().finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

function secondsUntilExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp - Date.now() / 1000 : null;
  } catch {
    return null;
  }
}

/** An access token that is valid for a while yet (refreshed first if needed), or null when signed out. */
export async function freshAccessToken(): Promise<string | null> {
  const access = session.accessToken();
  const remaining = access ? secondsUntilExpiry(access) : 0;
  if (access && (remaining === null || remaining > EXPIRY_MARGIN_SECONDS)) return access;
  return (await refreshSession()) ? session.accessToken() : null;
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

interface RequestOptions {
  method?: "GET" | "POST" | "DELETE";
  body?: unknown;
  /** Send the access token (default). Sign-in and registration do not. */
  auth?: boolean;
}

/** "the file is 12 bytes" -> "The file is 12 bytes." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function sentences(value: unknown): string {
  const texts = Array.isArray(value) ? value.map(String) : [String(value)];
  return texts.map(sentence).join(" ");
}

/** Reads a DRF error body ({detail}, {field: [messages]} or [messages]) without showing field names. */
export function readError(body: unknown): ErrorDetails {
  const details: ErrorDetails = { general: null, fields: {}, code: null };
  if (typeof body === "string" && body.trim()) details.general = sentence(body);
  else if (Array.isArray(body)) details.general = sentences(body);
  else if (body && typeof body === "object") {
    for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
      if (field === "code" && typeof value === "string") details.code = value;
      else if (field === "detail" || field === "non_field_errors") details.general = sentences(value);
      else details.fields[field] = sentences(value);
    }
  }
  return details;
}

/** Every message of an error body as one line of plain sentences, or `fallback` when there is none. */
export function describeError(body: unknown, fallback: string): string {
  const { general, fields } = readError(body);
  const text = [general, ...Object.values(fields)].filter(Boolean).join(" ");
  return text || fallback;
}

async function readJson(response: Response): Promise<unknown> {
  const isJson = response.headers.get("Content-Type")?.includes("json") ?? false;
  if (!isJson || response.status === 204 || response.status === 205) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const access = options.auth === false ? null : session.accessToken();
  if (access) headers.Authorization = `Bearer ${access}`;
  try {
    return await fetch(`/api${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError("Cannot reach the server. Check your connection and try again.", 0);
  }
}

/** Calls `/api${path}` and returns its JSON, refreshing the access token once on a 401. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const authenticated = options.auth !== false;
  let response = await send(path, options);
  if (response.status === 401 && authenticated && (await refreshSession())) {
    response = await send(path, options);
  }
  if (response.status === 401 && authenticated) session.clear();
  const body = await readJson(response);
  if (!response.ok) {
    const fallback = `The server answered ${response.status} ${response.statusText}`.trim() + ". Please try again.";
    throw new ApiError(describeError(body, fallback), response.status, readError(body));
  }
  return body as T;
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

function fileUrl(id: FileRecord["id"], action?: string): string {
  const base = `/files/${encodeURIComponent(String(id))}/`;
  return action ? `${base}${action}/` : base;
}

export const api = {
  register(email: string, password: string): Promise<User> {
    return request<User>("/auth/register/", { method: "POST", body: { email, password }, auth: false });
  },

  async signIn(email: string, password: string): Promise<void> {
    const tokens = await request<TokenPair>("/auth/token/", {
      method: "POST",
      body: { email, password },
      auth: false,
    });
    session.save(tokens);
  },

  /** Revokes the refresh token on the server (best effort) and forgets both tokens. */
  async signOut(): Promise<void> {
    const refresh = session.refreshToken();
    try {
      if (refresh) await request<null>("/auth/logout/", { method: "POST", body: { refresh } });
    } catch {
      // The tokens are dropped below either way; an expired token needs no revoking.
    } finally {
      session.clear();
    }
  },

  me(): Promise<User> {
    return request<User>("/auth/me/");
  },

  /** One page of the user's files; pass the `next` URL of the previous page to get the one after. */
  listFiles(nextPageUrl?: string): Promise<Page<FileRecord>> {
    const query = nextPageUrl ? new URL(nextPageUrl, window.location.origin).search : "";
    return request<Page<FileRecord>>(`/files/${query}`);
  },

  /** The content types and size the uploads endpoint accepts (public; read from the backend's settings). */
  uploadPolicy(): Promise<UploadPolicy> {
    return request<UploadPolicy>("/files/policy/", { auth: false });
  },

  createUpload(file: File): Promise<UploadTicket> {
    return request<UploadTicket>("/files/uploads/", {
      method: "POST",
      body: { filename: file.name, content_type: contentTypeOf(file), size: file.size },
    });
  },

  completeUpload(id: FileRecord["id"]): Promise<FileRecord> {
    return request<FileRecord>(fileUrl(id, "complete"), { method: "POST" });
  },

  downloadLink(id: FileRecord["id"]): Promise<DownloadLink> {
    return request<DownloadLink>(fileUrl(id, "download"));
  },

  async deleteFile(id: FileRecord["id"]): Promise<void> {
    await request<null>(fileUrl(id), { method: "DELETE" });
  },
};

// ---------------------------------------------------------------------------------------------
// Direct upload to storage
// ---------------------------------------------------------------------------------------------

function storageErrorMessage(request: XMLHttpRequest): string {
  const fallback = `The storage server refused the upload (${request.status}).`;
  const text = request.responseText ?? "";
  // S3 answers with XML (<Error><Message>...</Message></Error>), the local endpoint with JSON.
  const s3Message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (s3Message) return s3Message;
  try {
    return describeError(JSON.parse(text), fallback);
  } catch {
    return fallback;
  }
}

/**
 * Sends the file as a presigned POST: every field first, the file last under "file". The URL is an
 * S3 bucket or the backend's own local upload endpoint; both are handled alike and neither gets the
 * Authorization header (the signed fields authorise the upload). XMLHttpRequest, unlike fetch,
 * reports upload progress.
 */
export function uploadToStorage(
  upload: PresignedPost,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", new URL(upload.url, window.location.origin).toString());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(storageErrorMessage(xhr), xhr.status));
      }
    });
    xhr.addEventListener("error", () => {
      reject(new ApiError("The upload did not reach the storage server.", 0));
    });
    xhr.addEventListener("abort", () => reject(new ApiError("The upload was cancelled.", 0)));
    xhr.send(form);
  });
}
