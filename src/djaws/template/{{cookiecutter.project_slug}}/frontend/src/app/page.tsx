import { AuthForms } from "@/components/AuthForms";
import { SiteHeader } from "@/components/SiteHeader";
import { APP_NAME } from "@/lib/config";

// Static, so the load balancer's health check on "/" costs next to nothing.
export default function HomePage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto flex w-full max-w-5xl flex-1 flex-col gap-10 px-4 py-12 sm:px-6">
        <div className="max-w-2xl">
          <h1 className="text-3xl font-bold tracking-tight text-slate-900 sm:text-4xl">{APP_NAME}</h1>
          <p className="mt-3 text-base text-slate-600">
            Sign in to upload files straight to storage, follow their processing and download them again.
          </p>
        </div>
        <AuthForms />
      </main>
    </>
  );
}
