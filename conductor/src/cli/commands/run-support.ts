// What every command that runs agents needs: the repository's run lock, a
// cancel signal wired to Ctrl-C and SIGTERM, a supervisor that ends every
// agent's process group on the way out, and the phase context. On a terminal,
// `live` runs also get the task table redrawn below the report lines.
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { recorder } from '../../agents/recording.js';
import { ConductorError } from '../../errors.js';
import { createProvider, defaultProviderName, requireInstalled } from '../../agents/registry.js';
import { routeFor } from '../../agents/routing.js';
import { ROLES, type ExecutorConfig } from '../../config/types.js';
import { checkNodeForExecutor } from '../../executor/load-queue.js';
import type { PhaseContext } from '../../phases/call-role.js';
import { Supervisor } from '../../process/supervisor.js';
import { killMarked } from '../../process/kill-group.js';
import { resolveSandbox } from '../../process/sandbox.js';
import { acquireRunLock } from '../../state/run-lock.js';
import { taskFiles } from '../../state/task-record.js';
import type { CommandContext } from '../context.js';
import { LiveTable } from '../../status/live-table.js';
import { readTaskRows } from '../../status/read-rows.js';
import { configOf, repoRootOf } from './shared.js';

export async function withRun<T>(ctx: CommandContext, command: string, work: (phase: PhaseContext) => Promise<T>, options: { live?: boolean } = {}): Promise<T> {
  const repoRoot = repoRootOf(ctx);
  const loaded = (await configOf(ctx, repoRoot)).config;
  // --provider NAME (and --replay DIR, which implies the replay provider) take every call of this run,
  // over `roles`, `routing` and tasks' `agent`: a replay must never reach a real agent (see routeFor).
  const replayDir = typeof ctx.options.replay === 'string' ? resolve(ctx.cwd, ctx.options.replay) : undefined;
  const chosen = typeof ctx.options.provider === 'string' ? ctx.options.provider : replayDir ? 'replay' : undefined;
  if (replayDir && chosen !== 'replay') throw new ConductorError('USAGE', `--replay and --provider ${chosen} both choose the provider of every call`, { hint: 'pass one of them' });
  // `sandbox: auto` is decided here, once: everything after sees bwrap or none.
  const sandbox = await resolveSandbox(loaded.sandbox);
  const config = { ...loaded, sandbox: sandbox.kind, ...(chosen ? { providerOverride: chosen } : {}), ...executorOf(ctx, loaded.executor, command) };
  const recordDir = typeof ctx.options.record === 'string' ? resolve(ctx.cwd, ctx.options.record) : undefined;
  const conductorDir = join(repoRoot, '.conductor');
  // Every role's provider must exist before anything runs (a typo is bad input, not a failed phase);
  // under --provider or --replay that is the one provider every role uses.
  const defaultProvider = defaultProviderName(config);
  const registry = replayDir ? { replayDir } : {};
  const used = new Map<string, string>();
  // With the distributed executor, implementer sessions run on the workers (each has its own agent CLIs):
  // this machine needs only the other roles' programs. The implementer's provider must still be one the config knows.
  const remote = config.executor !== undefined;
  for (const role of ROLES) {
    const route = routeFor(config, role, undefined, defaultProvider);
    createProvider(route.provider, config, registry);
    if (remote && role === 'implementer') continue;
    if (!used.has(route.provider)) used.set(route.provider, `${CHOSEN_BY[route.source] ?? `${route.source} in conductor.config.yaml`}, for ${role}`);
  }
  if (config.providerOverride === undefined) {
    config.routing.forEach((rule, index) => {
      const provider = rule.use.provider;
      if (provider !== undefined && remote) createProvider(provider, config, registry); // routes implementers only: on the workers
      if (remote) return;
      if (provider !== undefined && !used.has(provider)) used.set(provider, `routing[${index}] in conductor.config.yaml`);
    });
  }
  requireInstalled(config, used);
  const lock = await acquireRunLock(conductorDir, command);
  // We hold the lock: any process still marked with this repository's CONDUCTOR_HOME was started by a
  // conductor that died (SIGKILL, power loss). Nothing may be left running behind it.
  const orphans = killMarked('CONDUCTOR_HOME', conductorDir);
  if (orphans > 0) ctx.stderr.write(`conductor: stopped ${orphans} agent or gate process${orphans === 1 ? '' : 'es'} left running by an earlier conductor\n`);
  const live = options.live && ctx.stderr.isTTY ? liveTable(ctx, repoRoot) : undefined;
  const say = (line: string) => (live ? live.line(line) : ctx.stderr.write(`${line}\n`));
  let announced = false;
  const supervisor = new Supervisor();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      const stopping = 'conductor: stopping — no new starts; agents get SIGTERM, then SIGKILL (again to force)';
      // Plain output starts a fresh line after the terminal's ^C; the live table erases it instead.
      if (live) live.line(stopping);
      else ctx.stderr.write(`\n${stopping}\n`);
      controller.abort();
      return;
    }
    // A second Ctrl-C: end every agent now, free the lock, and die of the signal as asked.
    hardStop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  /** Synchronous, for exit paths where nothing can be awaited. */
  const hardStop = () => {
    live?.stop();
    supervisor.signalAll('SIGKILL');
    lock.releaseSync();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', hardStop);
  live?.start();
  try {
    const phase: PhaseContext = {
      repoRoot,
      conductorDir,
      runId: randomUUID(),
      config,
      defaultProvider,
      signal: controller.signal,
      supervisor,
      registry,
      ...(recordDir ? { afterCall: recorder(recordDir) } : {}),
      // The sandbox line comes first once the run says anything: bad input alone stays one clean error.
      report: (line: string) => {
        if (!announced) say(sandbox.line);
        announced = true;
        say(line);
      },
    };
    const result = await work(phase);
    if (controller.signal.aborted) throw new ConductorError('INTERRUPTED', 'interrupted');
    return result;
  } catch (error) {
    if (controller.signal.aborted) throw new ConductorError('INTERRUPTED', `interrupted; continue with: ${/^conductor (?:run|resume)\b/.test(command) ? 'conductor resume' : command}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', hardStop);
    await live?.finish();
    supervisor.signalAll('SIGKILL');
    await lock.release();
  }
}

/** --queue URL --remote URL: the distributed executor for this run, over conductor.config.yaml's `executor` (docs/distributed.md). */
function executorOf(ctx: CommandContext, configured: ExecutorConfig | undefined, command: string): { executor?: ExecutorConfig } {
  // Only implementation sends attempts to workers: planning and the backlog run here, whatever the Node.
  if (!/^conductor (?:run|resume|implement|factory)\b/.test(command)) return {};
  const queue = typeof ctx.options.queue === 'string' ? ctx.options.queue : undefined;
  const remote = typeof ctx.options.remote === 'string' ? ctx.options.remote : undefined;
  if (queue === undefined && remote === undefined) {
    if (configured) checkNodeForExecutor();
    return configured ? { executor: configured } : {};
  }
  if (queue === undefined || remote === undefined) {
    throw new ConductorError('USAGE', `--${queue === undefined ? 'remote' : 'queue'} needs --${queue === undefined ? 'queue' : 'remote'} too`, { hint: 'the distributed executor needs both: --queue postgres://… (or embedded) and --remote <bare git repository>' });
  }
  checkNodeForExecutor();
  return { executor: { ...configured, queue, remote } };
}

/** How a route's source reads in the message about a missing provider. */
const CHOSEN_BY: Record<string, string> = { 'command line': '--provider', provider: 'provider in conductor.config.yaml', 'default provider': 'the default provider' };

/** The live table over the repository's backlog, status files and ledger. */
function liveTable(ctx: CommandContext, repoRoot: string): LiveTable {
  const path = taskFiles(repoRoot).backlogPath;
  return new LiveTable(ctx.stderr, async () => (await readTaskRows(repoRoot, path, 'tasks/BACKLOG.yaml')).rows);
}
