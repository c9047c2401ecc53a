// What the kernel says of a process (Linux /proc/<pid>/stat): its state, its
// process group and its start time. A zombie (state Z) has exited and only
// waits for its parent to reap it: it is dead for every purpose of ours, yet
// `kill(pid, 0)` still succeeds on it.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z, T, … */
  state: string;
  pgrp: number;
  /** Field 22: start time in clock ticks since boot, to tell a reused pid apart. */
  startTime: string;
}

/** Undefined when the process is gone or /proc is not there. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTime: fields[19] ?? '' };
}

/** /proc is readable here (Linux). */
export function hasProcfs(): boolean {
  return procStat(process.pid) !== undefined;
}

/** Is `pid` a running process (not a zombie)? Without /proc, what `kill(pid, 0)` says. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat) return stat.state !== 'Z';
  return !hasProcfs(); // gone between the two looks, or no /proc to ask
}

/** Every process id /proc lists, but conductor's own (empty where there is no /proc). */
export function processIds(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid
    const pid = Number(entry);
    if (pid !== process.pid) pids.push(pid);
  }
  return pids;
}

/** Pids of the members of process group `pgid` that are not zombies (Linux). */
export function liveGroupMembers(pgid: number): number[] {
  return processIds().filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}
