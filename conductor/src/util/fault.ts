// Fault injection for tests: CONDUCTOR_FAULTS="point,point" makes the named
// points throw an unexpected error, so tests can prove how real crashes are
// reported and survived. Unset in normal use; costs one env lookup.
const active = new Set((process.env.CONDUCTOR_FAULTS ?? '').split(',').filter(Boolean));

export function faultPoint(name: string): void {
  if (active.has(name)) throw new Error(`injected fault at ${name}`);
}
