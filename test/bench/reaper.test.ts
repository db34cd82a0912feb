import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { running } from '../helpers/processes.js';

// A bench stopped by a signal or an error must not leave its members running (they would load
// every later measurement on the machine). Each case runs a bench-like child process
// (fixtures/reaper-child.ts) that spawns a `sleep` member, ends it one way, and checks what is left.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/bench/fixtures/reaper-child.ts');

interface Run {
  member: number;
  dir: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
});

/** Whether `pid` is gone within 5 s (a killed member is reaped once its parent has exited). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Runs the fixture in `mode`; sends `signal` once it has started its member, when given. */
function run(mode: string, signal?: NodeJS.Signals): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((done, fail) => {
    let out = '';
    let started: { pid: number; dir: string } | undefined;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (started === undefined && out.includes('\n')) {
        started = JSON.parse(out.slice(0, out.indexOf('\n'))) as { pid: number; dir: string };
        leftovers.push(started.pid);
        if (signal !== undefined) child.kill(signal);
      }
    });
    child.on('error', fail);
    child.on('exit', (code, sig) => {
      if (started === undefined) fail(new Error(`the fixture exited (${String(code ?? sig)}) before starting its member`));
      else done({ member: started.pid, dir: started.dir, code, signal: sig });
    });
  });
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} kills the members and removes their data, then ends the bench as ${signal} does`, async () => {
    const r = await run('wait', signal);
    expect(r.signal).toBe(signal);
    expect(await gone(r.member)).toBe(true);
    expect(existsSync(r.dir)).toBe(false);
  });
}

test('an exit kills the members and keeps the exit code', async () => {
  const r = await run('exit');
  expect(r.code).toBe(3);
  expect(await gone(r.member)).toBe(true);
  expect(existsSync(r.dir)).toBe(false);
});

test('an uncaught error kills the members', async () => {
  const r = await run('throw');
  expect(r.code).toBe(1);
  expect(await gone(r.member)).toBe(true);
});

test('a member unregistered by its cluster stop() is left alone', async () => {
  const r = await run('stopped');
  expect(r.code).toBe(0);
  expect(running(r.member)).toBe(true);
  expect(existsSync(r.dir)).toBe(true);
  process.kill(r.member, 'SIGKILL');
});
