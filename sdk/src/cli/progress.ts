// Transfer progress on stderr: a redrawn bar on a terminal, or one plain line per 10 % elsewhere (CI logs, pipes).
import type { TransferProgress } from "../artifacts.ts";

/** How progress is shown: `bar` (redrawn line), `plain` (a line per 10 %), `none`, or `auto` (bar on a TTY, else plain). */
export type ProgressMode = "auto" | "bar" | "plain" | "none";

/** Formats a byte count: `512 B`, `1.5 KB`, `2.00 MB`, `50.0 MB`, `1.20 GB` (decimal units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit >= 1 ? 2 : 1)} ${units[unit]}`;
}

/** Minimal writable text stream (process.stderr). */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Renders {@link TransferProgress} events for one transfer of `label`. */
export class ProgressReporter {
  private readonly mode: Exclude<ProgressMode, "auto">;
  private phase: string | undefined;
  private phaseStart = 0;
  private lastDraw = 0;
  private lastDecile = -1;
  private drawn = false;

  constructor(
    private readonly out: TextOut,
    private readonly label: string,
    mode: ProgressMode = "auto",
  ) {
    this.mode = mode === "auto" ? (out.isTTY ? "bar" : "plain") : mode;
  }

  /** Reports one progress event (pass as `onProgress`). */
  readonly update = (progress: TransferProgress): void => {
    if (this.mode === "none") return;
    const now = Date.now();
    if (progress.phase !== this.phase) {
      this.finishLine();
      this.phase = progress.phase;
      this.phaseStart = now;
      this.lastDecile = -1;
      this.lastDraw = 0;
    }
    const total = progress.totalBytes;
    const fraction = total ? Math.min(1, progress.bytes / total) : undefined;
    const complete = total !== undefined && progress.bytes >= total;
    const seconds = Math.max(0.001, (now - this.phaseStart) / 1000);
    const rate = `${formatBytes(progress.bytes / seconds)}/s`;
    const amount = total !== undefined ? `${formatBytes(progress.bytes)}/${formatBytes(total)}` : formatBytes(progress.bytes);
    const percent = fraction !== undefined ? `${Math.floor(fraction * 100)}%`.padStart(4) : "";
    if (this.mode === "plain") {
      const decile = fraction !== undefined ? Math.floor(fraction * 10) : Math.floor(progress.bytes / 10_000_000);
      if (decile === this.lastDecile && !complete) return;
      this.lastDecile = decile;
      this.out.write(`${progress.phase} ${this.label}: ${percent.trim()} ${amount} ${rate}\n`.replace("  ", " "));
      return;
    }
    if (!complete && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = fraction !== undefined ? Math.round(fraction * width) : 0;
    const bar = fraction !== undefined ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}]` : "";
    this.out.write(`\r${progress.phase} ${this.label} ${bar} ${percent} ${amount} ${rate}\x1b[K`);
    this.drawn = true;
  };

  /** Ends the bar's line (call when the transfer ends, successfully or not). */
  finishLine(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }
}
