import { describe, expect, test } from 'vitest';
import { range } from '../../src/kv/mvcc/range.js';
import type { RangeRequest } from '../../src/kv/types.js';
import { SortOrder, SortTarget } from '../../src/kv/types.js';
import { dec, memStore } from './helpers.js';

/** A store with a=3 (v1, rev 2), b=1 (rev 3), c=2 (rev 4), then b=5 (rev 5): revision 5. */
async function abc() {
  const s = memStore();
  for (const [k, v] of [['a', '3'], ['b', '1'], ['c', '2'], ['b', '5']] as const) {
    await s.applier.put({ key: k, value: v });
    s.commit();
  }
  return s;
}

describe('range: count, more and limit as etcd computes them', () => {
  test.each<[string, Omit<RangeRequest, 'key'>, string[], boolean, number]>([
    ['limit cuts, more set, count is the total', { rangeEnd: 'z', limit: 2 }, ['a', 'b'], true, 3],
    ['limit equal to the total: no more', { rangeEnd: 'z', limit: 3 }, ['a', 'b', 'c'], false, 3],
    ['filters apply before the limit; count stays the range total', { rangeEnd: 'z', minModRevision: 4, limit: 1 }, ['b'], true, 3],
    ['sort by value descending, then limit', { rangeEnd: 'z', sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.VALUE, limit: 2 }, ['b', 'a'], true, 3],
    ['target without order sorts ascending among limit+1 fetched (etcd quirk)', { rangeEnd: 'z', sortTarget: SortTarget.MOD, limit: 1 }, ['a'], true, 3],
    ['countOnly returns no kvs', { rangeEnd: 'z', countOnly: true }, [], false, 3],
    ['"\\0" range end means every key >= key', { rangeEnd: '\0' }, ['b', 'c'], false, 2],
    ['a past revision', { rangeEnd: 'z', revision: 3 }, ['a', 'b'], false, 2],
  ])('%s', async (_, opts, keys, more, count) => {
    const { store } = await abc();
    const key = opts.rangeEnd === '\0' ? 'b' : 'a';
    const r = await range(store.readView(), { key, ...opts });
    expect([r.kvs.map((kv) => dec(kv.key)), r.more, r.count, r.header.revision]).toEqual([keys, more, count, 5]);
  });

  test('the compacted revision is readable, the one before is not, the future is refused', async () => {
    const s = await abc();
    s.applier.compact({ revision: 3 });
    s.commit();
    expect((await range(s.store.readView(), { key: 'a', rangeEnd: 'z', revision: 3 })).kvs.length).toBe(2);
    await expect(range(s.store.readView(), { key: 'a', revision: 2 })).rejects.toMatchObject({ code: 'ERR_COMPACTED', message: 'etcdserver: mvcc: required revision has been compacted' });
    await expect(range(s.store.readView(), { key: 'a', revision: 6 })).rejects.toMatchObject({ code: 'ERR_FUTURE_REV', message: 'etcdserver: mvcc: required revision is a future revision' });
    expect(() => s.applier.compact({ revision: 3 })).toThrow('etcdserver: mvcc: required revision has been compacted');
  });
});

describe('writes and revisions', () => {
  test('a txn that writes nothing takes no revision; one that writes takes exactly one', async () => {
    const s = await abc();
    const none = await s.applier.txn({ success: [{ requestRange: { key: 'a' } }, { requestDeleteRange: { key: 'zz' } }] });
    expect(none.response.header.revision).toBe(5);
    expect(s.store.rev).toBe(5);
    const two = await s.applier.txn({ success: [{ requestPut: { key: 'x', value: '1' } }, { requestDeleteRange: { key: 'a' } }, { requestRange: { key: 'x' } }] });
    expect(two.response.header.revision).toBe(6);
    expect(two.effects.changes.map((c) => [c.rev.main, c.rev.sub, c.tombstone])).toEqual([[6, 0, false], [6, 1, true]]);
    // The range inside the txn sees the txn's own put.
    const inner = two.response.responses[2] as { responseRange: { kvs: { modRevision: number }[] } };
    expect(inner.responseRange.kvs[0]!.modRevision).toBe(6);
  });

  test('nested compares are evaluated against the state before the txn', async () => {
    const s = await abc();
    const r = await s.applier.txn({
      success: [
        { requestPut: { key: 'n', value: '1' } },
        { requestTxn: { compare: [{ key: 'n', target: 0, result: 0, version: 0 }], success: [{ requestPut: { key: 'm', value: 'seen-before' } }] } },
      ],
    });
    const nested = r.response.responses[1] as { responseTxn: { succeeded: boolean; header: { revision: number } } };
    expect(nested.responseTxn.succeeded).toBe(true);
    expect(nested.responseTxn.header.revision).toBe(0); // as etcd: nested headers stay empty
  });

  test('compare over a range: every key must match; a missing key compares as zero except for VALUE', async () => {
    const s = await abc();
    const holds = async (c: object): Promise<boolean> => (await s.applier.txn({ compare: [c as never] })).response.succeeded;
    expect(await holds({ key: 'a', rangeEnd: 'z', target: 0, result: 1, version: 0 })).toBe(true);
    expect(await holds({ key: 'a', rangeEnd: 'z', target: 0, result: 0, version: 1 })).toBe(false);
    expect(await holds({ key: 'zz', target: 0, result: 0, version: 0 })).toBe(true);
    expect(await holds({ key: 'zz', target: 3, result: 0, value: '' })).toBe(false);
    expect(await holds({ key: 'a', target: 4, result: 0, lease: 0n })).toBe(true);
  });
});

describe('leases in the data path', () => {
  test('grant raises short TTLs, put checks the lease, revoke deletes attached keys at one revision', async () => {
    const s = memStore(3);
    expect(s.applier.grant(9n, 1).response.ttl).toBe(3);
    expect(() => s.applier.grant(9n, 10)).toThrow('etcdserver: lease already exists');
    expect(() => s.applier.grant(0n, 10)).toThrow('etcdserver: requested lease not found');
    expect(() => s.applier.grant(8n, 9_000_000_001)).toThrow('etcdserver: too large lease TTL');
    await expect(s.applier.put({ key: 'x', value: '1', lease: 7n })).rejects.toMatchObject({ code: 'ERR_LEASE_NOT_FOUND' });
    for (const k of ['b', 'a', 'c']) {
      await s.applier.put({ key: k, value: '1', lease: 9n });
      s.commit();
    }
    // Re-putting a key without a lease detaches it; ignoreLease keeps it.
    await s.applier.put({ key: 'c', value: '2' });
    await s.applier.put({ key: 'b', value: '2', ignoreLease: true });
    s.commit();
    expect([...s.store.leases.get(9n)!.keys].sort()).toEqual(['a', 'b']);
    const r = await s.applier.revoke(9n);
    expect(r.effects.changes.map((c) => [dec(c.kv.key), c.rev.main, c.rev.sub, c.tombstone])).toEqual([['a', 7, 0, true], ['b', 7, 1, true]]);
    expect(r.response.header.revision).toBe(7);
    expect(s.store.leases.get(9n)).toBeUndefined();
    await expect(s.applier.revoke(9n)).rejects.toMatchObject({ code: 'ERR_LEASE_NOT_FOUND' });
  });

  test('ignoreValue keeps the value; ignoreValue on a missing key is ERR_KEY_NOT_FOUND and takes no revision', async () => {
    const s = await abc();
    const r = await s.applier.put({ key: 'a', ignoreValue: true, prevKv: true });
    s.commit();
    expect(dec(r.response.prevKv!.value)).toBe('3');
    expect(dec((await range(s.store.readView(), { key: 'a' })).kvs[0]!.value)).toBe('3');
    await expect(s.applier.put({ key: 'nope', ignoreValue: true })).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND', message: 'etcdserver: key not found' });
    expect(s.store.rev).toBe(6);
  });
});
