import { useCallback, useEffect, useState } from "react";

import { NOTICE_DURATION_MS } from "./config";

/** A success message that goes away by itself; showing a new one restarts the clock. */
export function useNotice(): [string | null, (text: string) => void] {
  const [notice, setNotice] = useState<{ text: string; shownAt: number } | null>(null);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), NOTICE_DURATION_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const show = useCallback((text: string) => setNotice({ text, shownAt: Date.now() }), []);
  return [notice?.text ?? null, show];
}
