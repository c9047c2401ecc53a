// Network namespaces as separate hosts: each joined to this host by a veth pair (host end 10.A.i.1, namespace
// end 10.A.i.2, a /24 per namespace), so a worker started in one reaches servers here only over its link, and
// cut() takes that link down as a network partition would. The host also gets one service address, 10.A.0.1 on
// a link of its own, which every namespace reaches through its veth (its default route) and this host
// reaches directly: one URL for a server that works from every side, and stays up when a namespace is cut.
// Needs root and iproute2 (`ip netns`).
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { which } from '../../src/util/which.js';
import type { SystemProgram } from './system-programs.js';

export const NETNS: SystemProgram = {
  program: 'ip',
  tests: 'the tests with workers in network namespaces (ip netns, veth)',
  install: 'run them as root with iproute2 (Debian/Ubuntu: apt-get install iproute2) where network namespaces are allowed',
};

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });

let probed: boolean | undefined;
/** True when this process can make network namespaces and veth pairs (root, iproute2, a kernel that lets it). */
export function netnsAvailable(): boolean {
  if (probed !== undefined) return probed;
  probed = false;
  if (process.getuid?.() !== 0 || !which('ip', process.env.PATH)) return probed;
  const name = `cndprobe${process.pid}`;
  try {
    ip('netns', 'add', name);
    ip('link', 'add', `cp${process.pid}`, 'type', 'veth', 'peer', 'name', `cp${process.pid}p`, 'netns', name);
    probed = true;
  } catch {
    probed = false;
  } finally {
    try { ip('link', 'del', `cp${process.pid}`); } catch { /* not made */ }
    try { ip('netns', 'del', name); } catch { /* not made */ }
  }
  return probed;
}

/** Why netns tests cannot run here, as one sentence (for CI=true failures). */
export function requireNetns(): void {
  if (!netnsAvailable()) throw new Error(`network namespaces are unavailable (${process.getuid?.() === 0 ? 'ip netns add or a veth pair failed' : 'not root'}): ${NETNS.tests} need them (${NETNS.install}; .ci/run installs iproute2)`);
}

export interface Namespace {
  name: string;
  /** This namespace's address, as the host and other namespaces reach it. */
  address: string;
  /** The host's address on this namespace's link: what a process inside uses to reach servers on the host. */
  hostAddress: string;
  /** The host end of the veth pair. */
  hostLink: string;
}

export interface Netns {
  namespaces: Namespace[];
  /** The host's service address (on a link of its own): reached from this host and from every namespace. */
  serviceAddress: string;
  /** Spawns `command` inside namespace `ns` (ip netns exec: the child's pid is the command's). */
  run(ns: Namespace, command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Takes the host end of the namespace's link down: nothing gets in or out until restore(). The namespace
   *  keeps its address and route, so its connections hang (as across a real partition) instead of failing. */
  cut(ns: Namespace): void;
  restore(ns: Namespace): void;
  /** Kills what run() started, removes the namespaces (and with them the veth pairs). */
  close(): void;
}

let made = 0;
/** Makes `count` namespaces, each with its own veth link to this host. */
export function makeNamespaces(count: number): Netns {
  requireNetns();
  const tag = `${process.pid % 100000}${String.fromCharCode(97 + (made++ % 26))}`;
  // A /16 of 10.x chosen by pid, so parallel test files do not share addresses.
  const net = 64 + (process.pid % 160);
  const namespaces: Namespace[] = [];
  const children: ChildProcess[] = [];
  const serviceLink = `cs${tag}`;
  const serviceAddress = `10.${net}.0.1`;
  const close = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const ns of namespaces) {
      try { ip('link', 'del', ns.hostLink); } catch { /* gone with its namespace */ }
      try { ip('netns', 'del', ns.name); } catch { /* never made */ }
    }
    try { ip('link', 'del', serviceLink); } catch { /* never made */ }
  };
  try {
    // A veth pair with both ends here stands in for a dummy link (kernels without the dummy module have veth).
    ip('link', 'add', serviceLink, 'type', 'veth', 'peer', 'name', `${serviceLink}p`);
    ip('link', 'set', `${serviceLink}p`, 'up');
    ip('addr', 'add', `${serviceAddress}/32`, 'dev', serviceLink);
    ip('link', 'set', serviceLink, 'up');
    for (let i = 0; i < count; i++) {
      const name = `cnd${tag}${i}`;
      const hostLink = `cv${tag}${i}`; // <= 15 characters, the kernel's limit
      const peer = `${hostLink}p`;
      const ns: Namespace = { name, hostLink, address: `10.${net}.${i + 1}.2`, hostAddress: `10.${net}.${i + 1}.1` };
      ip('netns', 'add', name);
      namespaces.push(ns);
      ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', peer, 'netns', name);
      ip('addr', 'add', `${ns.hostAddress}/24`, 'dev', hostLink);
      ip('link', 'set', hostLink, 'up');
      ip('netns', 'exec', name, 'ip', 'addr', 'add', `${ns.address}/24`, 'dev', peer);
      ip('netns', 'exec', name, 'ip', 'link', 'set', peer, 'up');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
      ip('netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', ns.hostAddress);
    }
  } catch (error) {
    close();
    throw error;
  }
  return {
    namespaces,
    serviceAddress,
    run(ns, command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', ns.name, command, ...args], options);
      children.push(child);
      return child;
    },
    cut(ns) {
      ip('link', 'set', ns.hostLink, 'down');
    },
    restore(ns) {
      ip('link', 'set', ns.hostLink, 'up');
      // Neighbours that failed to answer while cut would refuse connections ("no route to host") for a while.
      ip('neigh', 'flush', 'dev', ns.hostLink);
      ip('netns', 'exec', ns.name, 'ip', 'neigh', 'flush', 'all');
    },
    close,
  };
}
