import { AuthForms } from "@/components/AuthForms";
import { SiteHeader } from "@/components/SiteHeader";
import { APP_DESCRIPTION, APP_NAME } from "@/lib/config";

const FEATURES = [
  "Upload files straight to storage, by drag and drop or from your device.",
  "Watch each file being checked, live.",
  "Download your files with short-lived private links.",
];

// Static, so the load balancer's health check on "/" costs next to nothing.
export default function HomePage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto grid w-full max-w-5xl flex-1 items-start gap-10 px-4 py-10 sm:px-6 sm:py-16 md:grid-cols-2">
        <div className="flex flex-col gap-5">
          <h1 className="text-3xl font-bold tracking-tight text-slate-900 sm:text-4xl">{APP_NAME}</h1>
          {APP_DESCRIPTION ? (
            <p className="text-lg text-slate-700" data-testid="app-description">
              {APP_DESCRIPTION}
            </p>
          ) : null}
          <ul className="flex flex-col gap-3 text-base text-slate-700">
            {FEATURES.map((feature) => (
              <li key={feature} className="flex gap-3">
                <span aria-hidden="true" className="mt-2 size-2 shrink-0 rounded-full bg-indigo-600" />
                {feature}
              </li>
            ))}
          </ul>
        </div>
        <AuthForms />
      </main>
    </>
  );
}
