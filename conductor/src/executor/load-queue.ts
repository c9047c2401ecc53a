// The executor's queue lives in an optional package (@agent-conductor/queue:
// pg-boss 12, which needs Node >= 22.12), reached only here and only when a run
// or a worker asks for it: `conductor --help`, the demo and every local run
// never load it, so the core still runs on Node 20.
//
// Its types are declared here, not imported from the package: the core builds
// from a clone (npm's `prepare`) where the optional package is not installed.
// They mirror packages/queue/index.d.ts.
import { ConductorError } from '../errors.js';

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface QueuedJob {
  id: string;
  state: JobState;
  retryCount: number;
  data: unknown;
  /** The completion's output (or the failure's detail). */
  output: unknown;
  singletonKey: string | null;
}

export interface TakenJob {
  id: string;
  retryCount: number;
  data: unknown;
  /** The labels of the queue it came from (the labels the job needs). */
  labels: string[];
  /** Aborted when the job was cancelled or this worker lost its claim. */
  signal: AbortSignal;
}

export interface AttemptQueue {
  readonly heartbeatSeconds: number;
  send(payload: object, options: { id: string; key: string; provider: string; labels?: string[]; retryLimit?: number; expireInSeconds?: number }): Promise<string | null>;
  job(id: string): Promise<QueuedJob | null>;
  liveJobs(key: string): Promise<QueuedJob[]>;
  cancel(id: string): Promise<void>;
  announce(id: string, retry: number, worker: { id: string; host: string }): Promise<void>;
  takenBy(id: string, retry: number): Promise<{ id: string; host: string } | null>;
  /** Report the step `seq` (0, 1, …) of a job's retry: `event` is what the coordinator makes of it. */
  progress(id: string, retry: number, seq: number, event: object): Promise<void>;
  /** The steps reported for a job's retry, in order. */
  progressOf(id: string, retry: number): Promise<{ seq: number; event: unknown }[]>;
  setProviderCaps(caps: Record<string, number>): Promise<void>;
  providerCaps(): Promise<Record<string, number>>;
  /** `labels`: the worker's; it takes jobs that need none, or only labels among these. */
  work(options: { concurrency?: number; capsPollMs?: number; labels?: string[] }, handler: (job: TakenJob) => Promise<object>): Promise<void>;
  stopTaking(): Promise<void>;
  close(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  /** False when it was already running (a coordinator that died left it for its resume). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export interface QueuePackage {
  openQueue(options: { url: string; heartbeatSeconds?: number; supervise?: boolean; onError?: (error: unknown) => void }): Promise<AttemptQueue>;
  startEmbedded(conductorDir: string): Promise<EmbeddedPostgres>;
  stopEmbedded(conductorDir: string): Promise<void>;
}

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
