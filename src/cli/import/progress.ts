import type { CliIO } from "../command";

/** At most this often, so a fast listing does not flood the terminal. */
const MIN_INTERVAL_MS = 100;

/**
 * One updating status line on stderr while a large account is read, only when stderr is a
 * terminal: redirected output and CI logs stay quiet.
 */
export class Progress {
  private lastShown = 0;
  private visible = false;

  constructor(private readonly io: CliIO) {}

  update(text: string): void {
    if (!this.io.stderrIsTTY) return;
    const now = Date.now();
    if (now - this.lastShown < MIN_INTERVAL_MS) return;
    this.lastShown = now;
    this.io.stderr(`\r\x1b[K${text}`);
    this.visible = true;
  }

  /** Clears the line before the report is printed. */
  done(): void {
    if (this.visible) this.io.stderr("\r\x1b[K");
    this.visible = false;
  }
}
