import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRepoMap } from '../src/repo-map/build-map.js';
import { refreshRepoMap } from '../src/repo-map/refresh-map.js';
import { isSecretFile } from '../src/repo-map/secret-files.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const files = {
  'package.json': JSON.stringify({ name: 'app', scripts: { test: 'vitest run', lint: 'eslint .', build: 'tsc' } }),
  'README.md': '# App\nSECRET-CONTENT-MARKER-readme\n',
  'CONTRIBUTING.md': 'be nice\n',
  'src/index.ts': 'export {};\n',
  'src/limiter/bucket.ts': 'export const b = 1;\n',
  'src/limiter/bucket.test.ts': 'test\n',
  '.env': 'API_KEY=sk-live-SECRET-CONTENT-MARKER\n',
  'config/.env.production': 'X=1\n',
  'deploy/id_rsa': 'PRIVATE\n',
  'deploy/aws-credentials.json': '{}\n',
  'certs/server.pem': 'PEM\n',
  '.gitignore': 'dist/\n',
};

describe('repo map', () => {
  it('lists structure, key modules, commands and conventions by path, never secrets or contents', async () => {
    const repo = gitdir(files);
    writeFileSync(join(repo, 'dist-notes.txt'), 'untracked\n');
    const result = await refreshRepoMap(repo, { budgetBytes: 51_200 });
    const map = readFileSync(result.path, 'utf8');
    expect(result).toMatchObject({ rebuilt: true, files: 12 });
    expect(map).toContain('## Directory structure');
    expect(map).toContain('  limiter/\n    bucket.test.ts\n    bucket.ts\n');
    expect(map).toContain('- `src/index.ts`');
    expect(map).toContain('- `npm run test` — `vitest run`');
    expect(map).toContain('- `CONTRIBUTING.md`');
    for (const hidden of ['.env', 'id_rsa', 'aws-credentials', 'server.pem', 'SECRET-CONTENT-MARKER', 'dist-notes.txt']) expect(map).not.toContain(hidden);
  });

  it('is rebuilt only when the tracked tree changes', async () => {
    const repo = gitdir(files);
    const first = await refreshRepoMap(repo, { budgetBytes: 51_200 });
    const mtime = statSync(first.path).mtimeMs;
    const again = await refreshRepoMap(repo, { budgetBytes: 51_200 });
    expect(again.rebuilt).toBe(false);
    expect(statSync(first.path).mtimeMs).toBe(mtime);
    writeFileSync(join(repo, 'src', 'new.ts'), 'x\n');
    execFileSync('git', ['add', 'src/new.ts'], { cwd: repo });
    const changed = await refreshRepoMap(repo, { budgetBytes: 51_200 });
    expect(changed.rebuilt).toBe(true);
    expect(readFileSync(changed.path, 'utf8')).toContain('new.ts');
    expect((await refreshRepoMap(repo, { budgetBytes: 51_200, force: true })).rebuilt).toBe(true);
  });

  it('summarises folders on a big repository and stays under its budget', () => {
    const paths: string[] = [];
    for (let d = 0; d < 50; d++) for (let f = 0; f < 1000; f++) paths.push(`packages/pkg${d}/src/module${f % 40}/file${f}.${f % 3 === 0 ? 'ts' : 'tsx'}`);
    const map = buildRepoMap({ files: paths, scripts: {}, gates: [], treeKey: 'k', budgetBytes: 51_200 });
    expect(Buffer.byteLength(map)).toBeLessThanOrEqual(51_200);
    expect(map).toMatch(/\(\d+ files: \d+ \.tsx, \d+ \.ts\)/);
  });

  it('knows secret files by name', () => {
    for (const secret of ['.env', '.env.local', 'id_ed25519', 'prod.key', 'gcp-credentials.json', 'secrets.yaml', '.npmrc', 'terraform.tfstate']) expect(isSecretFile(`a/${secret}`), secret).toBe(true);
    for (const plain of ['env.ts', 'keyboard.ts', 'src/environment.md', 'monkey.js']) expect(isSecretFile(plain), plain).toBe(false);
  });

  it('has a command that says what it did', async () => {
    const repo = gitdir(files);
    const first = await conductor(['repo-map'], { cwd: repo });
    expect(first.stdout).toMatch(/^docs\/repo-map\.md: rebuilt — 12 tracked files, [\d,]+ of 51,200 bytes$/);
    expect((await conductor(['repo-map'], { cwd: repo })).stdout).toMatch(/: up to date — /);
    const outside = await conductor(['repo-map'], { cwd: testdir() });
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toMatch(/^conductor: cannot list the tracked files of /);
  });
});
