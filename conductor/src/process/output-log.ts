// A per-call log file: redacted line by line, capped in size, written as it
// arrives so a flooding agent costs disk up to the cap and no memory.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

const MAX_PENDING_LINE = 64 * 1024;

export class OutputLog {
  private readonly stream: WriteStream;
  private written = 0;
  private truncatedAt: number | undefined;
  private readonly pending = new Map<string, string>();

  constructor(
    readonly path: string,
    private readonly capBytes: number,
    private readonly redact: (text: string) => string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', () => undefined); // a failing log must never fail the agent call
  }

  get bytes(): number {
    return this.written;
  }

  get truncated(): boolean {
    return this.truncatedAt !== undefined;
  }

  /** A line of conductor's own (the command, the outcome). */
  note(text: string): void {
    this.emit(`# ${this.redact(text)}\n`);
  }

  /** Output of `channel` (stdout/stderr); redacted per whole line. */
  append(channel: string, chunk: string): void {
    let text = (this.pending.get(channel) ?? '') + chunk;
    const cut = text.lastIndexOf('\n');
    if (cut === -1 && text.length < MAX_PENDING_LINE) {
      this.pending.set(channel, text);
      return;
    }
    const complete = cut === -1 ? text : text.slice(0, cut + 1);
    text = cut === -1 ? '' : text.slice(cut + 1);
    this.pending.set(channel, text);
    this.emit(this.redact(complete), channel);
  }

  async close(): Promise<void> {
    for (const [channel, rest] of this.pending) if (rest) this.emit(`${this.redact(rest)}\n`, channel);
    this.pending.clear();
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }

  private emit(text: string, channel?: string): void {
    if (this.truncatedAt !== undefined) return;
    const prefixed = channel === 'stderr' ? text.replace(/^(?=.)/gm, '! ') : text;
    const size = Buffer.byteLength(prefixed);
    if (this.written + size > this.capBytes) {
      this.truncatedAt = this.written;
      this.stream.write(`\n# log truncated at ${this.capBytes} bytes; later output was dropped\n`);
      return;
    }
    this.written += size;
    this.stream.write(prefixed);
  }
}
