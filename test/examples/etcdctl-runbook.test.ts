import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// examples/etcdctl.sh, the operator's runbook: three `raftkit` members (here run from this
// repository's source) driven by the real etcdctl; it exits 0 once every step passed and
// leaves no process or folder behind, and fails fast (exit 1, cleaned up) when a member dies.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fromSource = `${process.execPath} --import tsx ${join(root, 'src/etcd/cli/main.ts')}`;

function runbook(raftkit: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('bash', [join(root, 'examples/etcdctl.sh')], { cwd: root, env: { ...process.env, RAFTKIT: raftkit }, timeout: 150_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** Processes whose command line mentions `text` (Linux: /proc/<pid>/cmdline). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(Number(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

test('the runbook passes every step against a raftkit cluster', async () => {
  const r = await runbook(fromSource);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const out = r.stdout;
  const dir = /## start three raftkit members \(data in (.+)\)/.exec(out)![1]!;
  // endpoint health, then endpoint health --cluster (which names each member by its client URL).
  expect(out.match(/ is healthy: successfully committed proposal/g)).toHaveLength(6);
  expect(out.match(/^http:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal/gm)).toHaveLength(3);
  expect(out).toMatch(/^hello$/m);
  expect(out).toMatch(/^SUCCESS\n\nOK$/m);
  expect(out).toMatch(/^PUT\n\/runbook\/w\/1\none\nPUT\n\/runbook\/w\/2\ntwo\nDELETE\n\/runbook\/w\/1$/m);
  expect(out).toMatch(/^lease [0-9a-f]+ granted with TTL\(60s\), remaining\(\d+s\), attached keys\(\[\/runbook\/session\]\)$/m);
  expect(out).toMatch(/^lease [0-9a-f]+ revoked$/m);
  expect(out).toMatch(/^compacted revision \d+$/m);
  expect(out).toMatch(/^Error: etcdserver: mvcc: required revision has been compacted$/m);
  expect(out.match(/^Finished defragmenting etcd member\[127\.0\.0\.1:\d+\]$/gm)).toHaveLength(3);
  expect(out).toMatch(/^Snapshot saved at .*backup\.db$/m);
  expect(out).toMatch(/^\| +[0-9a-f]+ \| +\d+ \| +\d+ \| +[\d.]+ k?B \|$/m);
  expect(out).toMatch(/^\(no alarms\)$/m);
  expect(out.trimEnd().endsWith('runbook: every step passed')).toBe(true);
  expect(existsSync(dir)).toBe(false);
  expect(processesMentioning(dir)).toEqual([]);
}, 180_000);

test('a member that cannot start fails the runbook at once, and it still cleans up', async () => {
  const r = await runbook(`${process.execPath} -e process.exit(3)`);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/FAILED: member m\d exited/);
  const dir = /## start three raftkit members \(data in (.+)\)/.exec(r.stdout)![1]!;
  expect(existsSync(dir)).toBe(false);
}, 60_000);
