// Types of @agent-conductor/queue (index.js): see the comments there.
export declare const ATTEMPT_QUEUE = 'conductor-attempt';
/** The queue of attempts that need `labels`: `conductor-attempt` when none, else `conductor-attempt.<label>.…` (sorted). */
export declare function attemptQueueName(labels?: string[]): string;

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

export interface SendOptions {
  id: string;
  key: string;
  provider: string;
  /** The labels a worker must have to take it. */
  labels?: string[];
  retryLimit?: number;
  expireInSeconds?: number;
}

export interface AttemptQueue {
  readonly heartbeatSeconds: number;
  send(payload: object, options: SendOptions): Promise<string | null>;
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

export declare function openQueue(options: { url: string; heartbeatSeconds?: number; supervise?: boolean; onError?: (error: unknown) => void }): Promise<AttemptQueue>;

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  /** False when it was already running (a coordinator that died left it for its resume). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export declare function startEmbedded(conductorDir: string): Promise<EmbeddedPostgres>;
export declare function stopEmbedded(conductorDir: string): Promise<void>;
