import Link from "next/link";
import type { ReactNode } from "react";

import { FOCUS_RING } from "@/components/ui";
import { APP_NAME } from "@/lib/config";

interface SiteHeaderProps {
  /** Who is signed in: beside the actions on wide screens, on a line of its own on phones. */
  account?: ReactNode;
  /** Actions at the right, e.g. signing out. */
  children?: ReactNode;
}

export function SiteHeader({ account, children }: SiteHeaderProps) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex min-h-16 max-w-5xl flex-wrap items-center justify-between gap-x-3 px-4 sm:flex-nowrap sm:px-6">
        <Link
          href="/"
          className={`flex min-h-11 items-center gap-2 rounded-lg text-base font-semibold text-slate-900 ${FOCUS_RING} focus-visible:outline-indigo-600`}
        >
          <span
            aria-hidden="true"
            className="grid size-8 shrink-0 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white"
          >
            {APP_NAME.charAt(0).toUpperCase()}
          </span>
          <span data-testid="app-name">{APP_NAME}</span>
        </Link>
        {account ? (
          <div className="order-last w-full min-w-0 pb-3 text-sm text-slate-700 sm:order-none sm:ml-auto sm:w-auto sm:pb-0">
            {account}
          </div>
        ) : null}
        {children ? <div className="flex items-center gap-3">{children}</div> : null}
      </div>
    </header>
  );
}
