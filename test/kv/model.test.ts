import { MemoryLevel } from 'memory-level';
import { describe, expect, test } from 'vitest';
import { encodeCommand } from '../../src/kv/commands.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import type { KvResult } from '../../src/kv/kv-state-machine.js';
import { range } from '../../src/kv/mvcc/range.js';
import type { DeleteRangeResponse, KeyValue, PutResponse } from '../../src/kv/types.js';
import { SeededRng } from '../../src/raft/rng.js';
import { dec } from './helpers.js';

/** A deliberately naive model of etcd's MVCC: every key's full history as a list, scanned linearly. */
class Model {
  rev = 1;
  compactRev = -1;
  readonly hist = new Map<string, { rev: number; value: string | null; create: number; version: number }[]>();

  private last(key: string) {
    return this.hist.get(key)?.at(-1);
  }
  put(key: string, value: string): number {
    this.rev++;
    const l = this.last(key);
    const live = l !== undefined && l.value !== null;
    const h = this.hist.get(key) ?? [];
    h.push({ rev: this.rev, value, create: live ? l.create : this.rev, version: live ? l.version + 1 : 1 });
    this.hist.set(key, h);
    return this.rev;
  }
  at(key: string, rev: number) {
    const e = this.hist.get(key)?.filter((x) => x.rev <= rev).at(-1);
    return e === undefined || e.value === null ? undefined : e;
  }
  keys(start: string, end: string | undefined): string[] {
    return [...this.hist.keys()].filter((k) => (end === undefined ? k === start : k >= start && (end === '\0' || k < end))).sort();
  }
  del(start: string, end: string | undefined): number {
    const live = this.keys(start, end).filter((k) => this.at(k, this.rev) !== undefined);
    if (live.length === 0) return 0;
    this.rev++;
    for (const k of live) this.hist.get(k)!.push({ rev: this.rev, value: null, create: 0, version: 0 });
    return live.length;
  }
  read(start: string, end: string | undefined, rev: number): string[] {
    return this.keys(start, end).flatMap((k) => {
      const e = this.at(k, rev);
      return e === undefined ? [] : [`${k}=${e.value}@${e.create}/${e.rev}/v${e.version}`];
    });
  }
}

const show = (kvs: KeyValue[]): string[] => kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`);

describe('KvStateMachine against a naive model (random puts, deletes, ranges at old revisions, compactions, restarts)', () => {
  test.each([
    [1, 12],
    [2, 40],
    [3, 1500], // enough keys to split the index's sorted chunks many times
  ])('seed %i over %i keys', async (seed, nkeys) => {
    const rng = new SeededRng(seed);
    const keys = Array.from({ length: nkeys }, (_, i) => `k${String(i).padStart(4, '0')}`);
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    let sm = new KvStateMachine({ db });
    let index = await sm.appliedIndex();
    const model = new Model();
    const apply = async (cmd: KvCommand): Promise<KvResult> => (await sm.apply([{ index: ++index, term: 1, data: encodeCommand(cmd) }]))[0]!;
    const steps = nkeys > 100 ? 4000 : 1500;
    for (let step = 0; step < steps; step++) {
      const r = rng.nextInt(100);
      const key = keys[rng.nextInt(keys.length)]!;
      const end = rng.nextInt(3) === 0 ? keys[rng.nextInt(keys.length)]! : rng.nextInt(10) === 0 ? '\0' : undefined;
      const at = `seed ${seed} step ${step}`;
      if (r < 50) {
        const value = `v${step}`;
        const res = await apply({ op: 'put', req: { key, value } });
        expect(res.ok && (res.response as PutResponse).header.revision, at).toBe(model.put(key, value));
      } else if (r < 62) {
        const res = await apply({ op: 'deleteRange', req: { key, rangeEnd: end ?? '' } });
        expect(res.ok && (res.response as DeleteRangeResponse).deleted, at).toBe(model.del(key, end));
      } else if (r < 97) {
        const low = Math.max(model.compactRev, 1);
        const rev = low + rng.nextInt(model.rev - low + 1);
        const limit = rng.nextInt(3) === 0 ? 1 + rng.nextInt(5) : 0;
        const want = model.read(key, end, rev);
        const got = await range(sm.store.readView(), { key, rangeEnd: end ?? '', revision: rev, limit });
        expect(show(got.kvs), at).toEqual(limit > 0 ? want.slice(0, limit) : want);
        expect([got.count, got.more], at).toEqual([want.length, limit > 0 && want.length > limit]);
      } else if (r < 99) {
        const rev = Math.max(model.compactRev + 1, model.rev - rng.nextInt(20));
        const res = await apply({ op: 'compact', req: { revision: rev } });
        if (res.ok) {
          model.compactRev = rev;
          await res.physical;
        }
        expect(res.ok, at).toBe(true);
      } else {
        // Restart: a new state machine over the same database rebuilds its index by scanning.
        sm = new KvStateMachine({ db });
        expect(await sm.appliedIndex(), at).toBe(index);
        expect(sm.store.rev, at).toBe(model.rev);
      }
    }
    // Reads below the compacted revision fail; the compacted revision itself is readable.
    if (model.compactRev > 1) {
      await expect(range(sm.store.readView(), { key: 'k', rangeEnd: '\0', revision: model.compactRev - 1 })).rejects.toMatchObject({ code: 'ERR_COMPACTED' });
      const got = await range(sm.store.readView(), { key: 'k', rangeEnd: '\0', revision: model.compactRev });
      expect(show(got.kvs)).toEqual(model.read('k', '\0', model.compactRev));
    }
  }, 60_000);
});
