/** Build-time settings (next.config.ts fills them in; see .env.example). */

export const APP_NAME = process.env.NEXT_PUBLIC_APP_NAME || "App";

/** What the product is, in the project's own words (the generator's description). */
export const APP_DESCRIPTION = process.env.NEXT_PUBLIC_APP_DESCRIPTION || "";

/** Whether the backend serves /ws/notifications/ (the template's `use_websocket` option). */
export const WEBSOCKET_ENABLED = process.env.NEXT_PUBLIC_ENABLE_WEBSOCKET === "true";

/** How long a success message stays on screen. */
export const NOTICE_DURATION_MS = 6000;
