// A failed gate's output distilled into what the next worker and the reviewer
// need: each failing check with its location, message and expected/actual,
// within a byte budget. The runner is recognised by the output's shape; a
// gate running several tools gets each one's failures. Output no distiller
// recognises falls back to its last lines, uncoloured, without stack frames.
import { cargoTest } from './cargo-test.js';
import { cleanTail, outputLines } from './clean-output.js';
import { eslint } from './eslint.js';
import { goTest } from './go-test.js';
import { jest } from './jest.js';
import { nodeSpec, nodeTap } from './node-test.js';
import { pytest } from './pytest.js';
import { tsc } from './tsc.js';
import type { Distiller, Failure } from './types.js';
import { vitest } from './vitest.js';

/** The most a failed gate's distilled output takes, in bytes (in the worker's notes, the reviewer's and the rebase agent's prompts). */
export const GATE_FAILURE_BYTES = 2048;

const DISTILLERS: readonly Distiller[] = [nodeTap, nodeSpec, vitest, jest, pytest, cargoTest, goTest, tsc, eslint];
const TAIL_LINES = 20;
const MESSAGE_LINES = 8;
const LINE_CHARS = 200;

export interface Distilled {
  /** The formats recognised, e.g. ['node:test']; empty when the text is the output's tail. */
  formats: string[];
  failures: Failure[];
  /** What the next worker reads: the failures (or the tail), at most `budgetBytes`. */
  text: string;
}

export interface DistillOptions {
  /** The gate's directory: left out of the paths the runner printed. */
  cwd?: string;
  budgetBytes?: number;
}

export function distillOutput(output: string, options: DistillOptions = {}): Distilled {
  const lines = outputLines(output, options.cwd);
  const budget = options.budgetBytes ?? GATE_FAILURE_BYTES;
  const formats: string[] = [];
  const failures: Failure[] = [];
  for (const distiller of DISTILLERS) {
    if (!distiller.matches(lines)) continue;
    const found = distiller.failures(lines);
    if (found.length === 0) continue;
    if (!formats.includes(distiller.format)) formats.push(distiller.format);
    failures.push(...found);
  }
  if (failures.length === 0) return { formats, failures, text: fitTail(cleanTail(lines, TAIL_LINES), budget) };
  return { formats, failures, text: renderFailures(failures, budget) };
}

/** Each failure as `✗ check (location)` and its message, expected and actual indented below; whole failures while they fit. */
export function renderFailures(failures: readonly Failure[], budgetBytes: number): string {
  const blocks = failures.map(renderFailure);
  const kept: string[] = [];
  let bytes = 0;
  for (const [i, block] of blocks.entries()) {
    const left = blocks.length - i - 1;
    const more = left > 0 ? `\n… and ${left} more failing` : '';
    const size = Buffer.byteLength(block) + (kept.length ? 1 : 0);
    if (bytes + size + Buffer.byteLength(more) > budgetBytes) {
      // The first failure is always shown, cut to the budget; later ones are counted.
      if (kept.length === 0) kept.push(cutToBytes(block, budgetBytes - Buffer.byteLength(more)));
      const dropped = blocks.length - kept.length;
      if (dropped > 0) kept.push(`… and ${dropped} more failing`);
      return kept.join('\n');
    }
    kept.push(block);
    bytes += size;
  }
  return kept.join('\n');
}

function renderFailure(failure: Failure): string {
  const lines = [`✗ ${clip(failure.check)}${failure.location ? ` (${failure.location})` : ''}`];
  const message = failure.message.filter((l) => l.trim() !== '');
  for (const line of message.slice(0, MESSAGE_LINES)) lines.push(`  ${clip(line)}`);
  if (message.length > MESSAGE_LINES) lines.push(`  … ${message.length - MESSAGE_LINES} more lines`);
  if (failure.expected !== undefined) lines.push(`  expected: ${clip(failure.expected)}`);
  if (failure.actual !== undefined) lines.push(`  actual:   ${clip(failure.actual)}`);
  return lines.join('\n');
}

function fitTail(lines: readonly string[], budgetBytes: number): string {
  const kept: string[] = [];
  let bytes = 0;
  for (const line of [...lines].reverse().map(clip)) {
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > budgetBytes) break;
    kept.unshift(line);
  }
  return kept.join('\n');
}

function clip(line: string): string {
  return line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS - 1)}…` : line;
}

function cutToBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text);
  if (buffer.byteLength <= bytes) return text;
  // Cut at a character boundary: decoding drops a half character as U+FFFD, which is then removed.
  return `${buffer.subarray(0, Math.max(0, bytes - 3)).toString('utf8').replace(/\uFFFD$/, '')}…`;
}
