// conductor worker --queue URL [--concurrency N] [--work-dir DIR] [--labels a,b] [--repo PATH]:
// takes task attempts from the distributed executor's queue until SIGTERM or
// Ctrl-C (executor/worker.ts; docs/distributed.md).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConductorError } from '../../errors.js';
import { workerIdentity } from '../../executor/coordinator.js';
import { checkLabels, runWorker } from '../../executor/worker.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext): Promise<number> {
  const queue = typeof ctx.options.queue === 'string' ? ctx.options.queue : undefined;
  if (!queue) throw new ConductorError('USAGE', 'conductor worker needs --queue URL', { hint: 'the PostgreSQL URL the coordinator uses (executor.queue), or embedded with --repo <path> on the coordinator\'s machine' });
  const concurrency = ctx.options.concurrency === undefined ? 1 : Number(ctx.options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ConductorError('USAGE', `--concurrency must be a whole number from 1 to 64, not ${String(ctx.options.concurrency)}`);
  const workDir = typeof ctx.options['work-dir'] === 'string' ? resolve(ctx.cwd, ctx.options['work-dir']) : join(homedir(), '.cache', 'conductor', 'worker');
  const labels = typeof ctx.options.labels === 'string' ? ctx.options.labels.split(',').map((l) => l.trim()).filter(Boolean) : [];
  checkLabels(labels);
  const graceSeconds = ctx.options.grace === undefined ? 30 : Number(ctx.options.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new ConductorError('USAGE', `--grace must be a number of seconds, not ${String(ctx.options.grace)}`);
  const stop = new AbortController();
  const now = new AbortController();
  // The first SIGTERM or Ctrl-C: no new attempts, the running ones get their grace; a second: handed back at once.
  const onSignal = () => (stop.signal.aborted ? now.abort() : stop.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runWorker({
      queue,
      ...(typeof ctx.options.repo === 'string' ? { repo: resolve(ctx.cwd, ctx.options.repo) } : {}),
      concurrency,
      workDir,
      labels,
      me: workerIdentity(typeof ctx.options.id === 'string' ? ctx.options.id : undefined),
      say: (line) => ctx.stdout.write(`${line}\n`),
      stop: stop.signal,
      now: now.signal,
      graceMs: graceSeconds * 1000,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
