import { describe, expect, it } from 'vitest';
import { renderDot, renderMermaid } from '../src/graph/render-graph.js';
import { normalizeTask, type Backlog } from '../src/backlog/types.js';

const make = (id: string, title: string, status: string, depends_on: string[] = []) =>
  normalizeTask({ id, title, description: 'd', acceptance: ['a'], scope: { files_hint: ['f'] }, status, depends_on });

const backlog: Backlog = {
  version: 1,
  feature: 'demo',
  tasks: [make('T01', 'Parse "quoted" <input> & #1', 'done'), make('T-2', 'Back\\slash\nnewline', 'running', ['T01'])],
};

describe('graph rendering', () => {
  it('renders mermaid with states, edges in work order and escaped labels', () => {
    expect(renderMermaid(backlog)).toBe(
      [
        'flowchart LR',
        '  %% demo: arrows point from a task to the tasks that depend on it',
        '  t0["T01 · Parse #quot;quoted#quot; #lt;input#gt; #amp; #35;1<br/>done"]:::done',
        '  t1["T-2 · Back\\slash newline<br/>running"]:::running',
        '  t0 --> t1',
        '  classDef running fill:#fff3c4,stroke:#555',
        '  classDef done fill:#d4edda,stroke:#555',
        '',
      ].join('\n'),
    );
  });

  it('renders dot with escaped quotes, backslashes and newlines', () => {
    const dot = renderDot(backlog);
    expect(dot).toContain('"T01" [label="T01 · Parse \\"quoted\\" <input> & #1\\n(done)", fillcolor="#d4edda"];');
    expect(dot).toContain('"T-2" [label="T-2 · Back\\\\slash\\nnewline\\n(running)", fillcolor="#fff3c4"];');
    expect(dot).toContain('"T01" -> "T-2";');
  });
});
