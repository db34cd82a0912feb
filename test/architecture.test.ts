import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The top-level area of a file under src/ ('raft', 'codec', ..., or 'root' for src/*.ts). */
function area(file: string): string {
  const rel = relative(src, file).split('/');
  return rel.length === 1 ? 'root' : rel[0]!;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

// Which areas each area may import (besides itself). See STYLE.md §2.
const allowed: Record<string, string[]> = {
  root: ['raft', 'codec', 'storage', 'transport', 'replica', 'kv', 'testing'],
  raft: ['root'],
  codec: ['raft', 'root'],
  storage: ['codec', 'raft', 'root'],
  transport: ['codec', 'raft', 'root'],
  replica: ['storage', 'transport', 'codec', 'raft', 'root'],
  kv: ['replica', 'storage', 'codec', 'raft', 'root'],
  testing: ['kv', 'replica', 'storage', 'transport', 'codec', 'raft', 'root'],
  // raftkit/etcd: the gRPC front; nothing else imports it.
  etcd: ['kv', 'replica', 'storage', 'transport', 'codec', 'raft', 'root'],
};

const files = walk(src);

describe('architecture', () => {
  test('dependencies point one way: raft <- storage, transport <- replica <- kv <- testing', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = area(f);
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        const to = area(target);
        if (to === from) continue;
        if (!(allowed[from] ?? []).includes(to)) violations.push(`${relative(root, f)} -> ${spec} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('src/raft is pure: no Node built-ins, packages, timers, clocks or ambient randomness', () => {
    const violations: string[] = [];
    for (const f of files.filter((x) => area(x) === 'raft')) {
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) violations.push(`${relative(root, f)} imports ${spec}`);
      }
      const text = readFileSync(f, 'utf8');
      for (const banned of ['setTimeout', 'setInterval', 'setImmediate', 'Date.now', 'new Date', 'Math.random', 'performance.now', 'process.']) {
        if (text.includes(banned)) violations.push(`${relative(root, f)} uses ${banned}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('inside raft: quorum imports nothing, tracker only quorum, confchange only tracker/quorum and core types', () => {
    const violations: string[] = [];
    for (const f of files.filter((x) => area(x) === 'raft')) {
      const sub = relative(join(src, 'raft'), f).split('/');
      if (sub.length === 1) continue;
      const pkg = sub[0]!;
      for (const spec of imports(f)) {
        const target = relative(join(src, 'raft'), resolve(dirname(f), spec)).split('/');
        const tpkg = target.length === 1 ? 'core' : target[0]!;
        if (tpkg === pkg) continue;
        // quorum/ may import nothing outside itself.
        const ok =
          (pkg === 'tracker' && (tpkg === 'quorum' || tpkg === 'core')) ||
          (pkg === 'confchange' && (tpkg === 'quorum' || tpkg === 'tracker' || tpkg === 'core'));
        if (!ok) violations.push(`${relative(root, f)} -> ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('src/kv/mvcc is pure: imports only itself, root errors and ChurnMap; no Node built-ins, timers, clocks or randomness', () => {
    const mvcc = join(src, 'kv', 'mvcc');
    const violations: string[] = [];
    for (const f of files.filter((x) => x.startsWith(mvcc + '/'))) {
      for (const spec of imports(f)) {
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        const ok = spec.startsWith('.') && (target.startsWith(mvcc + '/') || target === join(src, 'errors.ts') || target === join(src, 'churn-map.ts') || target === join(src, 'kv', 'errors.ts') || target === join(src, 'kv', 'types.ts'));
        if (!ok) violations.push(`${relative(root, f)} imports ${spec}`);
      }
      const text = readFileSync(f, 'utf8');
      for (const banned of ['setTimeout', 'setInterval', 'setImmediate', 'Date.now', 'new Date', 'Math.random', 'performance.now', 'process.']) {
        if (text.includes(banned)) violations.push(`${relative(root, f)} uses ${banned}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('files stay small enough to hold in your head (<= 450 lines)', () => {
    const big = files.map((f) => [relative(root, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 450);
    expect(big).toEqual([]);
  });
});
