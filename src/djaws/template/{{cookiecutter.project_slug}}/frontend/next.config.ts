import { readFileSync } from "node:fs";
import path from "node:path";

import type { NextConfig } from "next";

// Defaults chosen when the project was generated (project.config.json); the environment overrides
// them at build time.
const project = JSON.parse(readFileSync(path.join(__dirname, "project.config.json"), "utf8")) as {
  appName: string;
  description: string;
  enableWebsocket: boolean;
};

// The rewrites serve local development and any setup without the load balancer in front: in the cloud
// it sends /api/* and /ws/* to the backend before a request reaches this server. BACKEND_URL is read
// when `next dev` starts or `next build` runs, not by the built server.
const backendUrl = (process.env.BACKEND_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");

// This directory is the app's root even when a lockfile sits further up (e.g. a monorepo's): otherwise
// Next.js guesses a parent and nests the standalone server under .next/standalone/frontend/.
const appRoot = path.resolve(__dirname);

const nextConfig: NextConfig = {
  output: "standalone",
  outputFileTracingRoot: appRoot,
  turbopack: { root: appRoot },
  reactStrictMode: true,
  poweredByHeader: false,
  // The app serves no optimised images: without the optimiser its native library (sharp, ~28 MB) stays out of
  // the standalone server. next/image still works, serving the images as they are.
  images: { unoptimized: true },
  outputFileTracingExcludes: { "*": ["node_modules/sharp/**", "node_modules/@img/**"] },
  // Django's URLs end with a slash: keep it instead of redirecting /api/x/ to /api/x.
  skipTrailingSlashRedirect: true,
  env: {
    NEXT_PUBLIC_APP_NAME: process.env.NEXT_PUBLIC_APP_NAME || project.appName,
    NEXT_PUBLIC_APP_DESCRIPTION: process.env.NEXT_PUBLIC_APP_DESCRIPTION || project.description,
    NEXT_PUBLIC_ENABLE_WEBSOCKET: process.env.NEXT_PUBLIC_ENABLE_WEBSOCKET || String(project.enableWebsocket),
  },
  async rewrites() {
    return [
      { source: "/api/:path*/", destination: `${backendUrl}/api/:path*/` },
      { source: "/api/:path*", destination: `${backendUrl}/api/:path*` },
      { source: "/ws/:path*/", destination: `${backendUrl}/ws/:path*/` },
      { source: "/ws/:path*", destination: `${backendUrl}/ws/:path*` },
    ];
  },
};

export default nextConfig;
