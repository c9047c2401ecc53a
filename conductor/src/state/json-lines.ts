// Append-only JSON Lines files (the sessions ledger, the run journal). Each
// record is one write of one whole line, fsynced; a reader skips a torn last
// line left by a crash and says so.
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConductorError, messageOf } from '../errors.js';
import { ioFailure } from '../io-failure.js';
import { ownWrite } from './own-writes.js';

const queues = new Map<string, Promise<void>>();

/** `sync: false` skips the fsync: for a stream a crash may cut at its last line (readers skip a torn one). */
export async function appendJsonLine(path: string, record: unknown, options: { sync?: boolean } = {}): Promise<void> {
  const line = `${JSON.stringify(record)}\n`;
  const previous = queues.get(path) ?? Promise.resolve();
  const next = previous.then(() => appendLine(path, line, options.sync !== false));
  queues.set(path, next.catch(() => undefined));
  await next;
}

async function appendLine(path: string, line: string, sync: boolean): Promise<void> {
  // conductor's, not a worker's, from before the write starts (the boundary check)
  await ownWrite(path, async () => {
    let handle;
    try {
      await mkdir(dirname(path), { recursive: true });
      handle = await open(path, 'a');
      await handle.write(line);
      if (sync) await handle.sync();
    } catch (error) {
      throw ioFailure('append to', path, error);
    } finally {
      await handle?.close();
    }
  });
}

export interface JsonLines {
  records: unknown[];
  /** Lines that could not be parsed, 1-based, with the reason. */
  skipped: { line: number; reason: string }[];
}

export async function readJsonLines(path: string): Promise<JsonLines> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { records: [], skipped: [] };
    throw new ConductorError('IO', `cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  const records: unknown[] = [];
  const skipped: JsonLines['skipped'] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const torn = index === lines.length - 1; // no newline after it: the write never finished
    try {
      records.push(JSON.parse(line));
    } catch (error) {
      skipped.push({ line: index + 1, reason: torn ? 'unfinished last line (a crash during a write)' : messageOf(error) });
    }
  });
  return { records, skipped };
}
