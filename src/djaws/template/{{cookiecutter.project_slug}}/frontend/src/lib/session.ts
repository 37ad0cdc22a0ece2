import { useSyncExternalStore } from "react";

import { session } from "./api";

function serverSnapshot(): null {
  return null;
}

/**
 * Whether tokens are stored: null while the page hydrates (the server cannot know), then true or
 * false, updating when this tab or another one signs in or out.
 */
export function useSignedIn(): boolean | null {
  return useSyncExternalStore(session.subscribe, session.isSignedIn, serverSnapshot);
}
