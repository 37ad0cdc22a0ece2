import Link from "next/link";
import type { ReactNode } from "react";

import { APP_NAME } from "@/lib/config";

export function SiteHeader({ children }: { children?: ReactNode }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-16 max-w-5xl items-center justify-between gap-4 px-4 sm:px-6">
        <Link href="/" className="flex items-center gap-2 text-base font-semibold text-slate-900">
          <span
            aria-hidden="true"
            className="grid size-8 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white"
          >
            {APP_NAME.charAt(0).toUpperCase()}
          </span>
          <span data-testid="app-name">{APP_NAME}</span>
        </Link>
        {children ? <div className="flex items-center gap-3">{children}</div> : null}
      </div>
    </header>
  );
}
