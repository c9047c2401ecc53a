// Which provider and model a call goes to (CONTRACT §7): the default
// provider, then the role's entry, then — for workers — the first matching
// routing rule and the task's own `agent` override. A layer that changes the
// provider without naming a model drops the earlier model: models belong to
// providers. A provider chosen on the command line (--provider, --replay)
// takes every call; the config's model survives only where the config routes
// to that same provider.
import type { Task } from '../backlog/types.js';
import type { ConductorConfig, Role, Use } from '../config/types.js';

export interface Route {
  provider: string;
  model?: string;
  /** Where the choice came from, for `doctor` and reports. */
  source: string;
}

export function routeFor(config: ConductorConfig, role: Role, task?: Task, defaultProvider: string = config.provider): Route {
  const override = config.providerOverride;
  const base: Route = { provider: defaultProvider, source: config.providerChosen ? 'provider' : 'default provider' };
  if (override === undefined) return configuredRoute(config, role, task, base);
  // What the config alone would choose, from its own `provider` — or from the command line's when it names
  // none: then the command line only picks the default, and entries naming just a model are meant for it.
  const configured = configuredRoute(config, role, task, config.providerChosen ? { provider: config.provider, source: 'provider' } : { provider: override, source: 'command line' });
  if (configured.provider === override) return configured;
  const model = config.providers[override]?.model;
  return { provider: override, source: 'command line', ...(model !== undefined ? { model } : {}) };
}

function configuredRoute(config: ConductorConfig, role: Role, task: Task | undefined, base: Route): Route {
  let route = base;
  const apply = (use: Use | undefined, source: string) => {
    if (!use) return;
    const provider = use.provider ?? route.provider;
    const model = use.model ?? (provider === route.provider ? route.model : undefined);
    route = { provider, source, ...(model !== undefined ? { model } : {}) };
  };
  apply(config.roles[role], `roles.${role}`);
  if (role === 'implementer' && task) {
    const index = config.routing.findIndex((rule) => matches(rule.match, task));
    if (index !== -1) apply(config.routing[index]!.use, `routing[${index}]`);
    apply(task.agent, `task ${task.id} agent`);
  }
  if (route.model === undefined) {
    const model = config.providers[route.provider]?.model;
    if (model !== undefined) route = { ...route, model };
  }
  return route;
}

function matches(match: { type?: string; keyword?: string }, task: Task): boolean {
  if (match.type !== undefined && match.type !== task.type) return false;
  if (match.keyword !== undefined) {
    const needle = match.keyword.toLowerCase();
    if (!task.title.toLowerCase().includes(needle) && !task.description.toLowerCase().includes(needle)) return false;
  }
  return true;
}
