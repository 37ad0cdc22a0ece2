/**
 * Live file updates from the backend's /ws/notifications/ websocket. The connection comes back by
 * itself after a drop, with a growing delay, and takes a fresh access token each time.
 */
import { freshAccessToken } from "./api";
import type { FileProcessedMessage, FileRecord } from "./types";

const MAX_RECONNECT_DELAY_MS = 30_000;
// Load balancers close idle connections (the ALB after 60 s by default): a ping keeps the socket busy.
const KEEPALIVE_INTERVAL_MS = 25_000;

interface NotificationHandlers {
  onFile: (file: FileRecord) => void;
  onConnectionChange: (connected: boolean) => void;
}

function isFileProcessedMessage(data: unknown): data is FileProcessedMessage {
  if (!data || typeof data !== "object") return false;
  const message = data as Partial<FileProcessedMessage>;
  return message.type === "file.processed" && typeof message.file === "object" && message.file !== null;
}

/** Opens the notification socket and returns a function that closes it for good. */
export function connectNotifications({ onFile, onConnectionChange }: NotificationHandlers): () => void {
  let socket: WebSocket | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  let failedAttempts = 0;
  let stopped = false;

  function scheduleReconnect(): void {
    if (stopped) return;
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 1000 * 2 ** failedAttempts);
    failedAttempts += 1;
    reconnectTimer = setTimeout(() => void connect(), delay);
  }

  async function connect(): Promise<void> {
    const token = await freshAccessToken();
    if (stopped || !token) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}/ws/notifications/?token=${encodeURIComponent(token)}`;
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      failedAttempts = 0;
      onConnectionChange(true);
      keepaliveTimer = setInterval(() => {
        if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, KEEPALIVE_INTERVAL_MS);
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      try {
        const data: unknown = JSON.parse(String(event.data));
        if (isFileProcessedMessage(data)) onFile(data.file);
      } catch {
        // Ignore frames that are not JSON; the protocol has none we need.
      }
    });
    socket.addEventListener("close", () => {
      clearInterval(keepaliveTimer);
      socket = null;
      onConnectionChange(false);
      scheduleReconnect();
    });
  }

  void connect();
  return () => {
    stopped = true;
    clearTimeout(reconnectTimer);
    clearInterval(keepaliveTimer);
    socket?.close();
  };
}
