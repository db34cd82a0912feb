import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BoltInputError, SnapshotCorruptError } from '../../../src/kv/bbolt/errors.js';
import type { SnapshotProblem } from '../../../src/kv/bbolt/errors.js';
import { BoltReader } from '../../../src/kv/bbolt/reader.js';
import type { BoltBucketSource, BoltEntry } from '../../../src/kv/bbolt/writer.js';
import { writeBoltFile } from '../../../src/kv/bbolt/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkit-bolt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Deterministic entries: zero-padded keys, every 997th value large enough to need overflow pages. */
function* entries(n: number, prefix = ''): Generator<BoltEntry> {
  for (let i = 0; i < n; i++) {
    const size = i % 997 === 5 ? 9000 + i : 20 + (i % 40);
    yield { key: enc.encode(prefix + String(i).padStart(7, '0')), value: new Uint8Array(size).fill(i & 0xff) };
  }
}

async function readAll(path: string): Promise<Map<string, BoltEntry[]>> {
  const r = await BoltReader.open(path);
  try {
    await r.check();
    const out = new Map<string, BoltEntry[]>();
    for await (const b of r.buckets()) {
      const list: BoltEntry[] = [];
      for await (const e of r.entries(b)) list.push({ key: e.key, value: e.value });
      out.set(dec.decode(b.name), list);
    }
    return out;
  } finally {
    await r.close();
  }
}

/** Index of the first differing pair (or length mismatch), -1 when equal. Cheaper than a deep toEqual. */
function firstMismatch(a: readonly BoltEntry[], b: readonly BoltEntry[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((x, i) => Buffer.compare(x.key, b[i]!.key) !== 0 || Buffer.compare(x.value, b[i]!.value) !== 0);
}

const sources = (): BoltBucketSource[] => [
  { name: 'alarm', entries: [] },
  { name: 'big', entries: entries(20_000) },
  { name: 'one-huge', entries: [{ key: enc.encode('k'), value: new Uint8Array(50_000).fill(7) }] },
  { name: 'small', entries: entries(3, 's') },
];

describe('bbolt writer and reader', () => {
  test('round-trips empty, inline, multi-level and overflow buckets', async () => {
    const path = join(dir, 'round.db');
    const res = await writeBoltFile(path, sources());
    expect(res.keys).toBe(20_004);
    expect(readFileSync(path).length).toBe(res.size);
    const got = await readAll(path);
    expect([...got.keys()]).toEqual(['alarm', 'big', 'one-huge', 'small']);
    expect(got.get('alarm')).toEqual([]);
    expect(firstMismatch(got.get('big')!, [...entries(20_000)])).toBe(-1);
    expect(got.get('one-huge')![0]!.value.length).toBe(50_000);
    expect(got.get('small')).toEqual([...entries(3, 's')]);
  });

  test('small buckets are inline (root 0) and large ones get pages', async () => {
    const path = join(dir, 'inline.db');
    await writeBoltFile(path, sources());
    const r = await BoltReader.open(path);
    const roots: Record<string, number> = {};
    for await (const b of r.buckets()) roots[dec.decode(b.name)] = b.root;
    await r.close();
    expect(roots.alarm).toBe(0);
    expect(roots.small).toBe(0);
    expect(roots.big).toBeGreaterThan(1);
    expect(roots['one-huge']).toBeGreaterThan(1);
  });

  test('the writer refuses unsorted keys and bucket names', async () => {
    const bad = [{ key: enc.encode('b'), value: new Uint8Array(0) }, { key: enc.encode('a'), value: new Uint8Array(0) }];
    await expect(writeBoltFile(join(dir, 'bad1.db'), [{ name: 'x', entries: bad }])).rejects.toBeInstanceOf(BoltInputError);
    await expect(writeBoltFile(join(dir, 'bad2.db'), [{ name: 'b', entries: [] }, { name: 'a', entries: [] }])).rejects.toThrow(/strictly ascending/);
  });
});

describe('bbolt reader refuses damaged files', () => {
  const base = join(dir, 'base.db');
  const make = async (): Promise<Buffer> => {
    await writeBoltFile(base, sources());
    return readFileSync(base);
  };
  async function expectProblem(bytes: Uint8Array, problem: SnapshotProblem): Promise<void> {
    const path = join(dir, `damaged-${problem}.db`);
    writeFileSync(path, bytes);
    const err = await readAll(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SnapshotCorruptError);
    expect((err as SnapshotCorruptError).code).toBe('ERR_SNAPSHOT_CORRUPT');
    expect((err as SnapshotCorruptError).problem).toBe(problem);
  }

  test('both meta checksums broken -> meta', async () => {
    const b = await make();
    b[16 + 30]! ^= 1;
    b[4096 + 16 + 30]! ^= 1;
    await expectProblem(b, 'meta');
  });

  test('one broken meta falls back to the other, as bbolt does', async () => {
    const b = await make();
    b[20]! ^= 0xff;
    const path = join(dir, 'fallback.db');
    writeFileSync(path, b);
    const r = await BoltReader.open(path);
    expect(r.meta.txid).toBe(1n);
    await r.close();
    expect((await readAll(path)).get('big')).toHaveLength(20_000);
  });

  test('a cut tail -> truncated', async () => {
    const b = await make();
    await expectProblem(b.subarray(0, b.length - 4096), 'truncated');
  });

  test('a page whose header names another id -> page', async () => {
    const b = await make();
    b[2 * 4096]! ^= 1;
    await expectProblem(b, 'page');
  });

  test('a leaf element pointing outside its page -> element', async () => {
    const b = await make();
    // page 2 is big's first leaf; its first element's pos (offset 16+4) gets a huge value.
    b.writeUInt32LE(0x7fffffff, 2 * 4096 + 20);
    await expectProblem(b, 'element');
  });

  test('keys out of order -> order', async () => {
    const b = await make();
    // The second key of page 2 starts at its element's pos; make its first digit smaller than the first key's.
    const el = 2 * 4096 + 16 + 16;
    const at = el + b.readUInt32LE(el + 4);
    b[at] = 0x20;
    await expectProblem(b, 'order');
  });
});
