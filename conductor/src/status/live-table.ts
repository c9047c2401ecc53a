// The live task table on a terminal during `run`, `resume` and `implement`:
// report lines scroll above it, the table is redrawn in place below them from
// snapshots of the state files, at most once per interval, and the cursor is
// hidden while it runs and shown again however the run ends.
import { noteLines, summaryLine, tableLines, type TaskRow } from './task-table.js';

export interface LiveStream {
  write(text: string): void;
  /** The terminal's width; frame lines are cut to fit so none wraps. */
  columns?: number;
}

export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
const ERASE_DOWN = '\x1b[J';

/** The table's lines: a row per task that has started (running or finished), then the totals over every task. */
export function liveFrame(rows: readonly TaskRow[]): string[] {
  if (rows.length === 0) return [];
  const started = rows.filter((row) => row.state !== 'pending');
  return [...(started.length ? tableLines(started) : []), ...noteLines(started), summaryLine(rows)];
}

export class LiveTable {
  private rows: TaskRow[] = [];
  /** Lines of the frame now on screen, right above the cursor. */
  private drawn = 0;
  private shown = '';
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly stream: LiveStream,
    private readonly read: () => Promise<readonly TaskRow[] | undefined>,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.stream.write(HIDE_CURSOR);
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
    void this.refresh();
  }

  /** A report line, printed above the table. */
  line(text: string): void {
    if (this.stopped) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.stream.write(`${this.erase()}${text}\n${this.frame()}`);
  }

  /** Read a snapshot (unless one is being read) and redraw when the frame changed. */
  async refresh(): Promise<void> {
    if (this.reading) return this.reading;
    this.reading = this.readRows().finally(() => (this.reading = undefined));
    await this.reading;
    if (this.stopped) return;
    const next = this.render();
    if (next.join('\n') !== this.shown) this.stream.write(`${this.erase()}${this.frame(next)}`);
  }

  /** The last frame from a fresh snapshot, left on screen; then the cursor back. */
  async finish(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    await this.reading;
    await this.refresh();
    this.stop();
  }

  /** Synchronous, for exit paths: no more redraws, the cursor shown. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.stream.write(SHOW_CURSOR);
  }

  private async readRows(): Promise<void> {
    try {
      const rows = await this.read();
      if (rows) this.rows = [...rows];
    } catch {
      // A file caught mid-write or a backlog being edited: keep the last good snapshot.
    }
  }

  private render(): string[] {
    const width = Math.max(20, (this.stream.columns || 80) - 1); // a pty may report 0 columns
    return liveFrame(this.rows).map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
  }

  /** Cursor up over the frame on screen, and everything below it erased. */
  private erase(): string {
    const text = this.drawn > 0 ? `\x1b[${this.drawn}A${ERASE_DOWN}` : '';
    this.drawn = 0;
    this.shown = '';
    return text;
  }

  private frame(lines: string[] = this.render()): string {
    this.drawn = lines.length;
    this.shown = lines.join('\n');
    return lines.map((line) => `${line}\n`).join('');
  }
}
