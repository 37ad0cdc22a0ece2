/** Build-time settings (next.config.ts fills them in; see .env.example). */

export const APP_NAME = process.env.NEXT_PUBLIC_APP_NAME || "App";

/** Whether the backend serves /ws/notifications/ (the template's `use_websocket` option). */
export const WEBSOCKET_ENABLED = process.env.NEXT_PUBLIC_ENABLE_WEBSOCKET === "true";
