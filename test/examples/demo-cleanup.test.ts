import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { running } from '../helpers/processes.js';

// `npm run demo` interrupted mid-run (Ctrl-C sends SIGINT, a supervisor SIGTERM) leaves no
// member process and no data folder behind.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test.each([
  { signal: 'SIGINT' as const, code: 130 },
  { signal: 'SIGTERM' as const, code: 143 },
])('$signal during the write burst stops every member and removes the data folder', async ({ signal, code }) => {
  const demo = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples/kv-cluster/cluster.ts'), '--writes', '1000000'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => demo.once('exit', (c) => r(c)));
  let pids: number[] = [];
  let dir = '';
  const lines = createInterface({ input: demo.stdout });
  await new Promise<void>((resolveLeader, reject) => {
    void exited.then(() => reject(new Error('the demo exited early')));
    lines.on('line', (line) => {
      const started = /as processes ([\d, ]+) \(data in (.+)\)$/.exec(line);
      if (started !== null) {
        pids = started[1]!.split(', ').map(Number);
        dir = started[2]!;
      }
      if (line.includes('was elected leader')) resolveLeader();
    });
  });
  expect(pids).toHaveLength(3);
  expect(pids.every(running)).toBe(true);
  expect(existsSync(dir)).toBe(true);
  demo.kill(signal);
  expect(await exited).toBe(code);
  expect(pids.filter(running)).toEqual([]);
  expect(existsSync(dir)).toBe(false);
}, 60_000);
