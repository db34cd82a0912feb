import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// `npm run demo` (not on a TTY: plain timeline lines) plays the whole story and exits 0: the
// election, a KV watch receiving events, the burst, the leader killed and the fail-over, the
// restart and catch-up, a backup saved and its status printed as etcdctl prints it, the watch
// checked against the acknowledged writes, and every acknowledged write checked on every member.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('the demo plays the whole story and checks it', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples/kv-cluster/cluster.ts'), '--writes', '1200'], { cwd: root, timeout: 120_000 });
  const lines = stdout.split('\n');
  const find = (re: RegExp): RegExpExecArray => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m !== null) return m;
    }
    throw new Error(`no line matches ${re}\n${stdout}`);
  };
  const dir = find(/as processes [\d, ]+ \(data in (.+)\)$/)[1]!;
  find(/member \d was elected leader in term \d+/);
  find(/opened a KV watch on every key starting with key- at member \d \(from revision \d+\)/);
  find(/the watch received its first events: PUT key-\d+ at revision \d+/);
  find(/the watch has received 1000 events/);
  find(/wrote 1200 keys in [\d.]+ s: \d+ writes\/s/);
  const killed = Number(find(/killed the leader \(member (\d)\) with SIGKILL/)[1]);
  find(/member \d took over in term \d+: fail-over took \d+ ms to elect/);
  find(new RegExp(`member ${killed} caught up to index \\d+`));
  find(new RegExp(`member ${killed} saved a KV snapshot to .*snapshot\\.db in \\d+ ms; its status, as etcdctl snapshot status -w table prints it:`));
  find(/^\s+\+-+\+-+\+-+\+-+\+$/);
  find(/^\s+\| +HASH +\| REVISION \| TOTAL KEYS \| TOTAL SIZE \|$/);
  const [, hash, revision, keys, size] = find(/^\s+\| +([0-9a-f]+) \| +(\d+) \| +(\d+) \| +([\d.]+ [kMG]?B) \|$/);
  expect(hash).toMatch(/^[0-9a-f]{1,8}$/);
  expect(Number(keys)).toBeGreaterThan(1700);
  expect(size).toMatch(/^[\d.]+ (kB|MB)$/);
  find(new RegExp(`the snapshot's revision ${revision} is the newest acknowledged write's`));
  const [, acked] = find(/the watch saw exactly the (\d+) acknowledged writes under key-, in revision order \(revisions \d+ to (\d+), \d+ batches\)/);
  expect(Number(acked)).toBe(1700);
  find(/every acknowledged write \(1701\) was checked on every member \(1, 2, 3\): none lost/);
  find(/^ {2}watch key-\* \(member \d\): 1700 events, last PUT key-\d+ @ revision \d+$/);
  expect(existsSync(dir)).toBe(false);
}, 150_000);
