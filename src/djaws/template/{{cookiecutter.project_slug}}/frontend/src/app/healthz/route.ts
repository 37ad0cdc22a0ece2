// Liveness for the container's HEALTHCHECK; "/" stays the load balancer's check.
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}
