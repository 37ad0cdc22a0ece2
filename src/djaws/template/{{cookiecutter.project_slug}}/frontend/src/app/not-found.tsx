import type { Metadata } from "next";
import Link from "next/link";

import { SiteHeader } from "@/components/SiteHeader";
import { CONTROL_SIZE, FOCUS_RING } from "@/components/ui";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto flex w-full max-w-5xl flex-1 flex-col items-start gap-4 px-4 py-16 sm:px-6">
        <p className="text-sm font-semibold text-indigo-700">404</p>
        <h1 className="text-3xl font-bold tracking-tight text-slate-900">Page not found</h1>
        <p className="text-base text-slate-700">There is nothing at this address. It may have moved, or the link may be mistyped.</p>
        <Link
          href="/"
          data-testid="go-home"
          className={`inline-flex ${CONTROL_SIZE} items-center rounded-lg bg-indigo-600 px-4 text-sm font-semibold text-white hover:bg-indigo-500 ${FOCUS_RING} focus-visible:outline-indigo-600`}
        >
          Go to the home page
        </Link>
      </main>
    </>
  );
}
