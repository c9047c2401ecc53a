// The dashboard's guards: it answers only requests addressed to it by the
// name it serves (a page on another site that re-points its own DNS name at
// 127.0.0.1 — DNS rebinding — sends that name as Host and is refused), and
// anything that changes state needs the token printed with its URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::']);

/** The host as a URL writes it: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Is `hostHeader` the address the dashboard serves? The bound address and port; for a loopback bind also its
 * other loopback names; for a wildcard bind any IP literal (a rebinding page can only send a DNS name).
 */
export function hostAllowed(hostHeader: string | undefined, bound: string, port: number): boolean {
  if (!hostHeader) return false;
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hostHeader.toLowerCase());
  if (!match || Number(match[2]) !== port) return false;
  const name = match[1]!.replace(/^\[|\]$/g, '');
  if (name === bound.toLowerCase()) return true;
  if (LOOPBACK.has(bound) && LOOPBACK.has(name)) return true;
  return WILDCARD.has(bound) && isIP(name) !== 0;
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
