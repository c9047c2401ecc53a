// Ending what an agent started: its whole process group, then anything that
// escaped the group (setsid) but still carries the call's marker variable.
import { readFileSync } from 'node:fs';
import { hasProcfs, liveGroupMembers, processIds } from './proc-stat.js';

/** Send `signal` to the process group led by `pid`; false when nothing is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Does the group led by `pid` still have a member that is not a zombie? */
export function isGroupAlive(pid: number): boolean {
  if (!signalGroup(pid, 0 as unknown as NodeJS.Signals)) return false;
  // kill(-pgid, 0) succeeds while unreaped zombies remain (a parent that never reaps,
  // or a container's PID 1): ask the kernel which members are really running.
  return hasProcfs() ? liveGroupMembers(pid).length > 0 : true;
}

/**
 * Pids of live processes whose environment holds `name=value` (Linux /proc).
 * Every agent runs with CONDUCTOR_SESSION_ID set, so this finds descendants
 * that left the process group with setsid.
 */
export function pidsWithMarker(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  return processIds().filter((pid) => {
    try {
      return `${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(needle);
    } catch {
      return false; // gone already, or not ours to read
    }
  });
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
