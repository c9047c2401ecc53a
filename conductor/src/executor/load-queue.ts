// The executor's queue lives in an optional package (@agent-conductor/queue:
// pg-boss 12, which needs Node >= 22.12), reached only here and only when a run
// or a worker asks for it: `conductor --help`, the demo and every local run
// never load it, so the core still runs on Node 20.
//
// Its types come from the package's own declarations (packages/queue/index.d.ts), by path and as types only:
// erased at build time, so the core builds from a clone (npm's `prepare`) where the package is not installed.
import { ConductorError } from '../errors.js';
import type * as Queue from '../../../packages/queue/index.js';

export type { AttemptQueue, EmbeddedPostgres, JobState, QueuedJob, TakenJob } from '../../../packages/queue/index.js';

export type QueuePackage = Pick<typeof Queue, 'openQueue' | 'startEmbedded' | 'stopEmbedded'>;

const NEEDED = [22, 12] as const;

/** The version check alone (no import): a Node too old for the executor is bad input, exit 2. */
export function checkNodeForExecutor(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > NEEDED[0] || (major === NEEDED[0] && minor >= NEEDED[1])) return;
  throw new ConductorError('USAGE', `the distributed executor needs Node >= ${NEEDED.join('.')} (this is Node ${version}); pg-boss, its queue, does not run on older ones`, {
    hint: 'run conductor with Node 22 or newer (e.g. nvm install 22), or leave out executor in conductor.config.yaml and --queue to run every attempt on this machine',
  });
}

export async function loadQueuePackage(): Promise<QueuePackage> {
  checkNodeForExecutor();
  const name = '@agent-conductor/queue';
  try {
    return (await import(name)) as QueuePackage;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) {
      throw new ConductorError('USAGE', `the distributed executor needs the package ${name}, which is not installed here`, {
        hint: `install it beside conductor: npm install ${name} (in a clone of conductor it is the workspace packages/queue: npm install at the repository root)`,
      });
    }
    throw error;
  }
}
