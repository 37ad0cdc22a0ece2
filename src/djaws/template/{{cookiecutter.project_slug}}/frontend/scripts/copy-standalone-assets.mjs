// `next build` leaves the static assets and public/ out of .next/standalone (a CDN could serve them);
// copy them in so `npm start` serves everything, as the Docker image does.
import { cpSync, existsSync } from "node:fs";

const standalone = ".next/standalone";
if (!existsSync(standalone)) {
  console.error(`${standalone} is missing: is output: "standalone" still set in next.config.ts?`);
  process.exit(1);
}
cpSync(".next/static", `${standalone}/.next/static`, { recursive: true });
cpSync("public", `${standalone}/public`, { recursive: true });
