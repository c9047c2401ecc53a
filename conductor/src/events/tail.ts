// Reading an event stream as it grows: each read returns the whole lines
// appended since the last one (a line still being written waits for its
// newline). A stream that was replaced — moved to the archive when the next
// run started — is read again from its start, and the read says so.
import { open, stat } from 'node:fs/promises';
import { isEvent, type ConductorEvent } from './event-log.js';

export interface TailRead {
  events: ConductorEvent[];
  /** The file is not the one read so far: these events start a new stream. */
  reset: boolean;
}

export class EventTail {
  private offset = 0;
  private inode: bigint | undefined;
  private partial = '';
  /** Lines read so far in this stream (a line's number is its SSE id). */
  lines = 0;

  constructor(readonly file: string) {}

  async read(): Promise<TailRead> {
    let size: number;
    let ino: bigint;
    try {
      const s = await stat(this.file, { bigint: true });
      size = Number(s.size);
      ino = s.ino;
    } catch {
      const reset = this.offset > 0;
      if (reset) this.restart(undefined);
      return { events: [], reset };
    }
    let reset = false;
    if (size < this.offset || (this.inode !== undefined && ino !== this.inode)) {
      this.restart(ino);
      reset = true;
    }
    this.inode = ino;
    if (size === this.offset) return { events: [], reset };
    const handle = await open(this.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      text = this.partial + buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    const events: ConductorEvent[] = [];
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.lines++;
      try {
        const value: unknown = JSON.parse(line);
        if (isEvent(value)) events.push(value);
      } catch {
        // a line torn by a crash: not an event
      }
    }
    return { events, reset };
  }

  private restart(ino: bigint | undefined): void {
    this.offset = 0;
    this.partial = '';
    this.lines = 0;
    this.inode = ino;
  }
}

/**
 * Has the run ended by this event: paused at a checkpoint, failed, interrupted, closed, or finished with
 * implementation (planning and the backlog record `finished` on their way to the next phase).
 */
export function endsRun(event: ConductorEvent): boolean {
  if (event.type !== 'run') return false;
  const { state, phase, closed } = event.journal;
  return closed !== undefined || state === 'paused' || state === 'failed' || state === 'interrupted' || (state === 'finished' && phase === 'implement');
}
