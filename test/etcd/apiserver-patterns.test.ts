import { Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EtcdServer } from '../kv/etcd-server.js';
import { rawClient, startKvCluster } from './helpers.js';

// The Kubernetes apiserver's access patterns (k8s.io/apiserver storage/etcd3): through the etcd3
// npm client (its own copy of etcd's protos) for KV, and a raw gRPC stream with `hasleader`
// metadata for watches, against three in-process replicas each behind an EtcdServer, and the
// same assertions against a real etcd 3.4 (so that they are etcd's behaviour, not only raftkit's).
const key = (s: string): Buffer => Buffer.from(s);

/** What the patterns run against: client URLs by member (1-3; etcd's one member serves all three). */
interface Target {
  url(member: 1 | 2 | 3): string;
  close(): Promise<void>;
}

const TARGETS: [string, () => Promise<Target>][] = [
  ['raftkit (three members)', async () => {
    const c = await startKvCluster([1, 2, 3]);
    return { url: (m) => c.urls.get(m)!, close: () => c.close() };
  }],
  ['etcd 3.4', async () => {
    const e = await EtcdServer.start();
    return { url: () => e.url, close: () => e.stop() };
  }],
];

interface TxnRes { succeeded: boolean; header: { revision: string }; responses: { response_range?: { kvs: { mod_revision: string; value: Buffer }[] }; response_put?: unknown; response_delete_range?: { deleted: string } }[] }

interface WatchRes { header: { revision: string }; watchId: string; created: boolean; canceled: boolean; events: { type: number; kv: { key: Buffer; value: Buffer }; prevKv?: { value: Buffer } | null }[] }

function openWatch(url: string): { stream: ClientDuplexStream<object, WatchRes>; next: (pred: (r: WatchRes) => boolean) => Promise<WatchRes> } {
  const md = new Metadata();
  md.set('hasleader', 'true');
  const stream = (rawClient('Watch', url).Watch as (m: Metadata) => ClientDuplexStream<object, WatchRes>)(md);
  const buf: WatchRes[] = [];
  const waiters: (() => void)[] = [];
  stream.on('data', (r: WatchRes) => {
    buf.push(r);
    for (const w of waiters.splice(0)) w();
  });
  stream.on('error', () => undefined);
  const next = async (pred: (r: WatchRes) => boolean): Promise<WatchRes> => {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const i = buf.findIndex(pred);
      if (i >= 0) return buf.splice(i, 1)[0]!;
      if (performance.now() > deadline) throw new Error('watch response not received');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { stream, next };
}

describe.each(TARGETS)('%s', (_, start) => {
  let target: Target;
  let etcd: Etcd3;

  beforeAll(async () => {
    target = await start();
    etcd = new Etcd3({ hosts: [...new Set([target.url(1), target.url(2), target.url(3)])] });
  }, 60_000);
  afterAll(async () => {
    etcd.close();
    await target.close();
  });

  async function txn(compare: object[], success: object[], failure: object[]): Promise<TxnRes> {
    return await etcd.kv.txn({ compare, success, failure });
  }

  describe('apiserver KV patterns through the etcd3 client', () => {
    test('create: txn(mod_revision(k) = 0 → put); a second create fails and reads the existing object', async () => {
      const k = key('/registry/pods/default/p1');
      const create = (v: string) => txn([{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }], [{ request_put: { key: k, value: key(v) } }], [{ request_range: { key: k } }]);
      const first = await create('v1');
      expect(first.succeeded).toBe(true);
      const again = await create('v2');
      expect(again.succeeded).toBe(false);
      expect(again.responses[0]!.response_range!.kvs[0]!.value.toString()).toBe('v1');
    });

    test('optimistic update with a lease and delete: txn(mod_revision(k) = rev → put|delete, else get)', async () => {
      const k = key('/registry/events/default/e1');
      await etcd.put('/registry/events/default/e1').value('e0');
      const rev = (await etcd.kv.range({ key: k })).kvs[0]!.mod_revision;
      const lease = await etcd.lease(60).grant();
      const upd = await txn([{ key: k, target: 'Mod', result: 'Equal', mod_revision: rev }], [{ request_put: { key: k, value: key('e1'), lease } }], [{ request_range: { key: k } }]);
      expect(upd.succeeded).toBe(true);
      const stale = await txn([{ key: k, target: 'Mod', result: 'Equal', mod_revision: rev }], [{ request_put: { key: k, value: key('e2') } }], [{ request_range: { key: k } }]);
      expect(stale.succeeded).toBe(false);
      const cur = stale.responses[0]!.response_range!.kvs[0]!;
      expect(cur.value.toString()).toBe('e1');
      const del = await txn([{ key: k, target: 'Mod', result: 'Equal', mod_revision: cur.mod_revision }], [{ request_delete_range: { key: k } }], [{ request_range: { key: k } }]);
      expect(del.succeeded).toBe(true);
      expect(del.responses[0]!.response_delete_range!.deleted).toBe('1');
    });

    test('periodic compaction: txn on compact_rev_key\'s version, then Compact; reads below fail', async () => {
      const ck = key('compact_rev_key');
      const first = await txn([{ key: ck, target: 'Version', result: 'Equal', version: 0 }], [{ request_put: { key: ck, value: key('0') } }], [{ request_range: { key: ck } }]);
      expect(first.succeeded).toBe(true);
      const rev = first.header.revision;
      const second = await txn([{ key: ck, target: 'Version', result: 'Equal', version: 0 }], [{ request_put: { key: ck, value: key(rev) } }], [{ request_range: { key: ck } }]);
      expect(second.succeeded).toBe(false);
      await etcd.kv.compact({ revision: rev });
      await expect(etcd.kv.range({ key: ck, revision: String(Number(rev) - 1) })).rejects.toThrow(/required revision has been compacted/);
    });

    test('paged list with limit and a fixed revision; countOnly', async () => {
      for (let i = 0; i < 7; i++) await etcd.put(`/registry/cm/ns/c${i}`).value(`${i}`);
      const prefixEnd = key('/registry/cm/ns0');
      const first = await etcd.kv.range({ key: key('/registry/cm/ns/'), range_end: prefixEnd, limit: 3 });
      expect(first.kvs).toHaveLength(3);
      expect(first.more).toBe(true);
      expect(first.count).toBe('7');
      const rev = first.header.revision;
      await etcd.put('/registry/cm/ns/c0').value('changed');
      const seen = first.kvs.map((kv) => kv.key.toString());
      let next = Buffer.concat([first.kvs[2]!.key, Buffer.from([0])]);
      for (;;) {
        const page = await etcd.kv.range({ key: next, range_end: prefixEnd, limit: 3, revision: rev });
        seen.push(...page.kvs.map((kv) => kv.key.toString()));
        if (!page.more) break;
        next = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
      }
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `/registry/cm/ns/c${i}`));
      const count = await etcd.kv.range({ key: key('/registry/cm/ns/'), range_end: prefixEnd, count_only: true });
      expect(count.count).toBe('7');
      expect(count.kvs).toHaveLength(0);
    });
  });

  describe('apiserver watch patterns (raw stream, hasleader)', () => {
    test('watch a prefix from a revision with prevKv: created, then events with previous values', async () => {
      const put = await etcd.kv.put({ key: key('/registry/w/a'), value: key('1') });
      const from = Number(put.header.revision);
      await etcd.put('/registry/w/a').value('2');
      const w = openWatch(target.url(2));
      w.stream.write({ createRequest: { key: key('/registry/w/'), rangeEnd: key('/registry/w0'), startRevision: String(from), prevKv: true, progressNotify: true } });
      const created = await w.next((r) => r.created);
      expect(created.canceled).toBe(false);
      // A watcher catching up gets the history in one response or several (etcd batches them): read events, not responses.
      const events = async (n: number): Promise<WatchRes['events']> => {
        const got: WatchRes['events'] = [];
        while (got.length < n) got.push(...(await w.next((r) => r.events.length > 0)).events);
        return got;
      };
      const [ev1, ev2] = (await events(2)) as [WatchRes['events'][number], WatchRes['events'][number]];
      expect(ev1.kv.value.toString()).toBe('1');
      expect(ev2.kv.value.toString()).toBe('2');
      expect(ev2.prevKv!.value.toString()).toBe('1');
      await etcd.delete().key('/registry/w/a');
      const [del] = (await events(1)) as [WatchRes['events'][number]];
      expect(del.type).toBe(1);
      expect(del.prevKv!.value.toString()).toBe('2');
      w.stream.end();
    });

    test('RequestProgress on a synced stream: one response with watch id -1 and the current revision', async () => {
      const w = openWatch(target.url(3));
      w.stream.write({ createRequest: { key: key('/registry/p/'), rangeEnd: key('/registry/p0') } });
      await w.next((r) => r.created);
      const put = await etcd.kv.put({ key: key('/registry/other'), value: key('x') });
      w.stream.write({ progressRequest: {} });
      const p = await w.next((r) => r.watchId === '-1');
      expect(p.events).toHaveLength(0);
      expect(Number(p.header.revision)).toBeGreaterThanOrEqual(Number(put.header.revision));
      w.stream.end();
    });

    test('cancel: the watcher answers canceled', async () => {
      const w = openWatch(target.url(1));
      w.stream.write({ createRequest: { key: key('/registry/c/x') } });
      const created = await w.next((r) => r.created);
      w.stream.write({ cancelRequest: { watchId: created.watchId } });
      const canceled = await w.next((r) => r.canceled);
      expect(canceled.watchId).toBe(created.watchId);
      w.stream.end();
    });
  });
});
