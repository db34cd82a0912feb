import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { expect, test } from 'vitest';

// `npm run demo -- --web` in headless Chromium: the page shows a leader, killing it from the
// page shows a new one, and the page logs no console error. RAFTKIT_SCREENSHOT=<path> saves a
// screenshot of the page after the fail-over.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const browser = '/usr/bin/chromium';
// The page's DOM, as the functions run inside the browser see it (the project has no DOM lib).
declare const document: {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};
if (!existsSync(browser)) console.warn(`demo-web.test.ts: skipped, no browser at ${browser} (install Debian's chromium package)`);

test.skipIf(!existsSync(browser))('the live page shows the leader, and a new one after the leader is killed from the page', async () => {
  const demo = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples/kv-cluster/cluster.ts'), '--web', '--writes', '300'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => demo.once('exit', (c) => r(c)));
  const profile = mkdtempSync(join(tmpdir(), 'raftkit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browser,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // The story runs first (a short burst, a fail-over, a restart); then the page is ours.
    const story: string[] = [];
    const url = await new Promise<string>((resolveUrl, reject) => {
      let found = '';
      void exited.then(() => reject(new Error('the demo exited early')));
      createInterface({ input: demo.stdout }).on('line', (line) => {
        story.push(line);
        found = /live view at (\S+)/.exec(line)?.[1] ?? found;
        if (line.includes('keeps running')) resolveUrl(found);
      });
    });
    // The story's KV steps ran before the page is ours: the watch and the backup's status.
    expect(story.some((l) => /the watch saw exactly the 800 acknowledged writes under key-, in revision order/.test(l))).toBe(true);
    expect(story.some((l) => /\| +HASH +\| REVISION \| TOTAL KEYS \| TOTAL SIZE \|/.test(l))).toBe(true);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    const leaderShown = async (not: string): Promise<string> => {
      const handle = await page.waitForFunction((old) => {
        const l = document.getElementById('summary')?.dataset['leader'] ?? '';
        return l !== '' && l !== old ? l : false;
      }, not, { timeout: 20_000 });
      return (await handle.jsonValue()) as string;
    };
    const leader = await leaderShown('');
    expect(await page.locator(`.member[data-id="${leader}"]`).getAttribute('data-role')).toBe('leader');
    await page.click(`.member[data-id="${leader}"] button[data-op="kill"]`);
    const next = await leaderShown(leader);
    expect(next).not.toBe(leader);
    await page.waitForFunction((id) => document.querySelector(`.member[data-id="${id}"]`)?.getAttribute('data-role') === 'stopped', leader);
    const shot = process.env['RAFTKIT_SCREENSHOT'];
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    demo.kill('SIGTERM');
    await exited;
  }
}, 60_000);
