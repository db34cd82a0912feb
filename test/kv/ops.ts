import { SeededRng } from '../../src/raft/rng.js';
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../src/kv/types.js';

/** One operation of a random sequence, in raftkit/kv's request shapes. */
export type Op =
  | { kind: 'put'; req: PutRequest }
  | { kind: 'range'; req: RangeRequest }
  | { kind: 'delete'; req: DeleteRangeRequest }
  | { kind: 'txn'; req: TxnRequest }
  | { kind: 'compact'; revision: number }
  | { kind: 'grant'; id: bigint; ttl: number }
  | { kind: 'revoke'; id: bigint };

const KEYS = ['a', 'aa', 'ab', 'b', 'ba', 'bb', 'c', 'cd', 'd'];
const ENDS = ['ab', 'b', 'bb', 'c', 'd', 'e'];
const VALUES = ['', 'x', 'y', 'zz', 'v1', 'v2', 'w'];
/** Lease ids used by the sequences (all long-lived: no lease expires during a run). */
export const LEASES = [1001n, 1002n, 1003n];

/** What the generator needs to know of the store to pick plausible revisions. */
export interface GenState {
  rev: number;
  compactRev: number;
}

/** A seeded generator of etcd operations covering every option (used by the model and the etcd differential tests). */
export class OpGen {
  private readonly rng: SeededRng;

  constructor(seed: number) {
    this.rng = new SeededRng(seed);
  }

  private int(n: number): number {
    return this.rng.nextInt(n);
  }
  private pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  private chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }
  private revIn(s: GenState): number {
    return Math.max(-1, s.compactRev - 1) + this.int(s.rev - Math.max(-1, s.compactRev - 1) + 3);
  }

  private keyAndEnd(): { key: string; rangeEnd?: string } {
    const key = this.pick(KEYS);
    const r = this.int(4);
    if (r === 0) return { key };
    if (r === 1) return { key, rangeEnd: '\0' };
    if (r === 2) return { key, rangeEnd: key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1) };
    return { key, rangeEnd: this.pick(ENDS) };
  }

  put(): PutRequest {
    const req: PutRequest = { key: this.pick(KEYS), value: this.pick(VALUES) };
    if (this.chance(0.3)) req.prevKv = true;
    if (this.chance(0.15)) req.lease = this.pick(LEASES);
    if (this.chance(0.06)) {
      req.ignoreValue = true;
      if (!this.chance(0.25)) req.value = '';
    }
    if (this.chance(0.06)) {
      req.ignoreLease = true;
      if (!this.chance(0.25)) delete req.lease;
    }
    return req;
  }

  range(s: GenState): RangeRequest {
    const req: RangeRequest = { ...this.keyAndEnd() };
    if (this.chance(0.4)) req.limit = 1 + this.int(4);
    if (this.chance(0.3)) req.revision = this.revIn(s);
    if (this.chance(0.3)) req.sortOrder = this.int(3) as 0 | 1 | 2;
    if (this.chance(0.3)) req.sortTarget = this.int(5) as 0 | 1 | 2 | 3 | 4;
    if (this.chance(0.1)) req.keysOnly = true;
    if (this.chance(0.1)) req.countOnly = true;
    if (this.chance(0.15)) req.minModRevision = this.int(s.rev + 1);
    if (this.chance(0.15)) req.maxModRevision = this.int(s.rev + 1);
    if (this.chance(0.15)) req.minCreateRevision = this.int(s.rev + 1);
    if (this.chance(0.15)) req.maxCreateRevision = this.int(s.rev + 1);
    return req;
  }

  delete(): DeleteRangeRequest {
    const req: DeleteRangeRequest = { ...this.keyAndEnd() };
    if (this.chance(0.5)) req.prevKv = true;
    return req;
  }

  compare(s: GenState): Compare {
    const { key, rangeEnd } = this.keyAndEnd();
    const c: Compare = { key, target: this.int(5) as 0 | 1 | 2 | 3 | 4, result: this.int(4) as 0 | 1 | 2 | 3 };
    if (rangeEnd !== undefined && this.chance(0.3)) c.rangeEnd = rangeEnd;
    if (c.target === 0) c.version = this.int(4);
    if (c.target === 1) c.createRevision = this.int(s.rev + 2);
    if (c.target === 2) c.modRevision = this.int(s.rev + 2);
    if (c.target === 3) c.value = this.pick(VALUES);
    if (c.target === 4) c.lease = this.chance(0.5) ? 0n : this.pick(LEASES);
    return c;
  }

  private ops(s: GenState, depth: number): RequestOp[] {
    const out: RequestOp[] = [];
    for (let n = this.int(4); n > 0; n--) {
      const r = this.int(depth < 2 ? 8 : 7);
      if (r < 3) out.push({ requestPut: this.put() });
      else if (r < 5) out.push({ requestRange: this.range(s) });
      else if (r < 7) out.push({ requestDeleteRange: this.delete() });
      else out.push({ requestTxn: this.txn(s, depth + 1) });
    }
    return out;
  }

  txn(s: GenState, depth = 0): TxnRequest {
    const compare: Compare[] = [];
    for (let n = this.int(3); n > 0; n--) compare.push(this.compare(s));
    return { compare, success: this.ops(s, depth), failure: this.ops(s, depth) };
  }

  next(s: GenState): Op {
    const r = this.int(100);
    if (r < 30) return { kind: 'put', req: this.put() };
    if (r < 55) return { kind: 'range', req: this.range(s) };
    if (r < 67) return { kind: 'delete', req: this.delete() };
    if (r < 87) return { kind: 'txn', req: this.txn(s) };
    if (r < 92) return { kind: 'compact', revision: this.revIn(s) };
    if (r < 97) return { kind: 'grant', id: this.pick(LEASES), ttl: 300 + this.int(300) };
    return { kind: 'revoke', id: this.pick(LEASES) };
  }
}
