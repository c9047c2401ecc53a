// One event as a line for a person: `conductor events` on a terminal.
import type { ConductorEvent } from './event-log.js';

export function describeEvent(event: ConductorEvent): string {
  return `${event.at.slice(11, 19)}  ${what(event)}`;
}

function money(costUsd: number | undefined): string {
  return costUsd === undefined ? '' : `, $${costUsd.toFixed(4)}`;
}

function what(e: ConductorEvent): string {
  switch (e.type) {
    case 'run':
      return `run ${e.journal.slug}: ${e.journal.state}${e.journal.state === 'failed' && e.journal.failure ? ` (${e.journal.failure})` : ''}${e.journal.closed ? `, ${e.journal.closed.how}` : ''}`;
    case 'phase':
      return `phase ${e.phase}`;
    case 'checkpoint':
      return `paused at the ${e.checkpoint} checkpoint`;
    case 'backlog':
      return e.partial ? `backlog: ${e.tasks.map((t) => `${t.id} rewritten ("${t.title}")`).join(', ')}` : `backlog of ${e.feature ?? 'the run'}: ${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}`;
    case 'task':
      return `${e.task}  ${e.from ?? '-'} → ${e.to} (attempt ${e.attempt}${e.cause ? `, ${e.cause}` : ''})${e.note ? `: ${e.note}` : ''}`;
    case 'attempt':
      return `${e.task}  attempt ${e.attempt} starts`;
    case 'session-start':
      return `${e.task ?? '-'}  ${e.role} session starts (${e.provider}${e.model ? ` ${e.model}` : ''}, attempt ${e.attempt})`;
    case 'session-end': {
      const tokens = e.inputTokens !== undefined || e.outputTokens !== undefined ? `, ${e.inputTokens ?? 0}/${e.outputTokens ?? 0} tokens` : '';
      return `${e.task ?? '-'}  ${e.role} session ends: ${e.exit} in ${(e.durationMs / 1000).toFixed(1)}s${tokens}${money(e.costUsd)}${e.detail ? ` (${e.detail})` : ''}`;
    }
    case 'gates-start':
      return `${e.task}  gates start (attempt ${e.attempt})`;
    case 'gate-result':
      return `${e.task}  gate ${e.name} ${e.passed ? 'passed' : 'failed'} in ${(e.durationMs / 1000).toFixed(1)}s`;
    case 'review':
      return `${e.task}  review of attempt ${e.attempt}: ${e.verdict}${e.summary ? ` — ${e.summary}` : ''}`;
    case 'merge':
      return `${e.task}  ${e.ok ? `merged into ${e.into}` : `merge into ${e.into} failed: ${e.conflicts?.length ? `conflict in ${e.conflicts.join(', ')}` : (e.detail ?? 'conflict')}`}`;
    case 'warning':
      return `${e.task ? `${e.task}  ` : ''}warning: ${e.message}`;
  }
}
