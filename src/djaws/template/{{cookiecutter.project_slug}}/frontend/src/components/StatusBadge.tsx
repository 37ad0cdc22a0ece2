import type { FileStatus } from "@/lib/types";

const STYLES: Record<FileStatus, { label: string; className: string }> = {
  pending: { label: "Uploading", className: "bg-slate-100 text-slate-700 ring-slate-300" },
  uploaded: { label: "Processing", className: "bg-amber-50 text-amber-800 ring-amber-300" },
  processed: { label: "Ready", className: "bg-emerald-50 text-emerald-700 ring-emerald-300" },
  failed: { label: "Failed", className: "bg-red-50 text-red-700 ring-red-300" },
};

export function StatusBadge({ status }: { status: FileStatus }) {
  const style = STYLES[status] ?? STYLES.pending;
  return (
    <span
      data-testid="file-status"
      data-status={status}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${style.className}`}
    >
      {style.label}
    </span>
  );
}
