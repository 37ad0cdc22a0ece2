import type { NextConfig } from "next";

// Only `next dev` and `next start` use these rewrites: in the cloud the load balancer sends /api/* and
// /ws/* to the backend before a request reaches this server. They are read when the app is built.
const backendUrl = (process.env.BACKEND_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");

const nextConfig: NextConfig = {
  output: "standalone",
  reactStrictMode: true,
  poweredByHeader: false,
  // Django's URLs end with a slash: keep it instead of redirecting /api/x/ to /api/x.
  skipTrailingSlashRedirect: true,
  env: {
    NEXT_PUBLIC_APP_NAME: process.env.NEXT_PUBLIC_APP_NAME ?? {{ cookiecutter.project_name | tojson }},
    NEXT_PUBLIC_ENABLE_WEBSOCKET:
      process.env.NEXT_PUBLIC_ENABLE_WEBSOCKET ?? "{{ 'true' if cookiecutter.use_websocket == 'y' else 'false' }}",
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
