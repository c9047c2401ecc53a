// The dashboard in a real browser (Debian's chromium driven by playwright-core):
// what a person sees on the demo's recorded run and on a live scripted run —
// the tasks and their states, a task moving to done without a reload, the
// timeline's two attempts of a retried task, the detail view's diff. Screenshots
// go to test-artifacts/ (gitignored). Without chromium these tests say they did
// not run and how to get it; under CI=true they fail.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BIN, conductor } from './helpers/cli.js';
import { scriptedRepo, startUi } from './helpers/dashboard.js';
import { CHROMIUM, canRun, requireProgram } from './helpers/system-programs.js';
import { which } from '../src/util/which.js';

const withChromium = canRun(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

async function openBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  requireProgram(CHROMIUM);
  const profile = mkdtempSync(join(tmpdir(), 'conductor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: which('chromium')!,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
  });
  onTestFinished(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  onTestFinished(() => expect(problems, 'errors in the page').toEqual([]));
  return { context, page };
}

/** The attempts and steps of a task's timeline row, as `attempt:step` with `!` for a failed one. */
const timelineOf = (page: Page, id: string) => page.locator(`.timeline .row[data-row="${id}"] .seg`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-attempt')}:${e.getAttribute('data-step')}${e.getAttribute('data-failed') === 'true' ? '!' : ''}`));
const cardStates = (page: Page) => page.locator('#board .card').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-task')} ${e.getAttribute('data-state')}`).sort());

describe('the dashboard in chromium', () => {
  let home: string;
  let demoRepo: string;
  beforeAll(async () => {
    if (!withChromium) return;
    home = mkdtempSync(join(tmpdir(), 'conductor-ui-browser-'));
    const demo = await conductor(['demo'], { cwd: home, env: { TMPDIR: home }, timeoutMs: 120_000 });
    expect(demo.exitCode, demo.stderr).toBe(0);
    demoRepo = /^ {2}repository: (.+)$/m.exec(demo.stdout)![1]!;
  }, 150_000);
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it.runIf(withChromium)('shows the demo\'s run: its tasks, the retried task\'s two attempts, a task\'s diff', async () => {
    const ui = await startUi(demoRepo);
    const { page } = await openBrowser();
    await page.goto(ui.url);
    await page.waitForSelector('.card[data-task="T05"][data-state="done"]');
    expect(await page.getByTestId('feature').innerText()).toBe('key-expiry');
    expect(await page.getByTestId('run-state').innerText()).toBe('finished');
    expect(await page.getByTestId('next').innerText()).toBe('next: git merge conductor/key-expiry');
    expect(await cardStates(page)).toEqual(['T01 done', 'T02 done', 'T03 done', 'T04 done', 'T05 done']);
    expect(await page.locator('.card[data-task="T04"]').innerText()).toMatch(/^T04stats \(read-only\)\nattempt 2 · \d+s · [\d.]+k\/\d+ tok$/);
    // T02 failed its gate on attempt 1 and merged on attempt 2.
    expect(await timelineOf(page, 'T02')).toEqual(['1:setup', '1:worker', '1:gates!', '2:setup', '2:worker', '2:gates', '2:review', '2:merge']);
    expect(await page.locator('#graph .node').count()).toBe(5);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ui-demo.png'), fullPage: true });

    await page.locator('.card[data-task="T02"]').click();
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.innerText()).toContain('+++ b/src/store.js');
    expect(await page.locator('.diff .add').first().innerText()).toMatch(/^\+/);
    expect(await page.getByTestId('verdict').innerText()).toBe('approve T02 meets its acceptance criteria and the gates pass.');
    expect((await page.getByTestId('context').innerText()).split('\n')[0]).toBe('# Task T02: TTL on set and get');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-demo-detail.png') });
  });

  it.runIf(withChromium)('follows a live run: a task moves to done without a reload', async () => {
    // T01's worker takes two seconds, so the page sees it running before it is done.
    const repo = scriptedRepo({ SCRIPT_RUN_T01: JSON.stringify([['sleep', '2']]) });
    const ui = await startUi(repo);
    const { page } = await openBrowser();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(ui.url);
    await page.waitForSelector('.card[data-task="T01"][data-state="pending"]');
    expect(await cardStates(page)).toEqual(['T01 pending', 'T02 pending', 'T03 pending']);

    const run = execa(process.execPath, [BIN, 'implement'], { cwd: repo, reject: false, stdin: 'ignore' });
    onTestFinished(async () => {
      run.kill('SIGINT');
      await run;
    });
    await page.waitForSelector('.card[data-task="T01"][data-state="running"]', { timeout: 30_000 });
    await page.waitForSelector('.card[data-task="T01"][data-state="done"]', { timeout: 60_000 });
    await page.waitForSelector('.card[data-task="T02"][data-state="done"]', { timeout: 60_000 });
    await page.waitForSelector('.card[data-task="T03"][data-state="blocked"]', { timeout: 60_000 });
    expect((await run).exitCode).toBe(1);
    expect(loads).toBe(1);
    expect(await cardStates(page)).toEqual(['T01 done', 'T02 done', 'T03 blocked']);
    expect(await timelineOf(page, 'T02')).toEqual(['1:setup', '1:worker', '1:gates!', '2:setup', '2:worker', '2:gates', '2:review', '2:merge']);
    expect(await page.locator('.card[data-task="T01"]').innerText()).toMatch(/attempt 1 · \d+s · 200\/40 tok$/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ui-live.png'), fullPage: true });
  });
});
