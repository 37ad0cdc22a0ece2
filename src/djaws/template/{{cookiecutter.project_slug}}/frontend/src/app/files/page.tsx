import type { Metadata } from "next";

import { FilesDashboard } from "@/components/FilesDashboard";

export const metadata: Metadata = { title: "Files" };

export default function FilesPage() {
  return <FilesDashboard />;
}
