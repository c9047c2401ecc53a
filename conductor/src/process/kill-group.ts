// Ending what an agent started: its whole process group, then anything that
// escaped the group (setsid) but still carries the call's marker variable.
import { readdirSync, readFileSync } from 'node:fs';

/** Send `signal` to the process group led by `pid`; false when nothing is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function isGroupAlive(pid: number): boolean {
  return signalGroup(pid, 0 as unknown as NodeJS.Signals);
}

/**
 * Pids of live processes whose environment holds `name=value` (Linux /proc).
 * Every agent runs with CONDUCTOR_SESSION_ID set, so this finds descendants
 * that left the process group with setsid.
 */
export function pidsWithMarker(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) found.push(pid);
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

export function killMarked(name: string, value: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  for (const pid of pidsWithMarker(name, value)) {
    try {
      process.kill(pid, signal);
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}
