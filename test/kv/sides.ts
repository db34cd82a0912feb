import type { ServiceClientConstructor } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { callUnary } from '../etcd/helpers.js';
import type { KvClient } from '../../src/kv/kv-client.js';
import { KvError } from '../../src/kv/errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, ResponseOp, TxnRequest } from '../../src/kv/types.js';
import type { Op } from './ops.js';
import { kvView, rangeView } from './views.js';
import type { RawKv, View } from './views.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- etcd3's raw responses are loosely typed JSON */

// An empty range_end must be left out, not sent empty: etcd (gogo proto) decodes a present empty
// bytes field as non-nil, which its index reads as "no upper bound". Go's clientv3 never sends it.
const end = (x: Uint8Array | string | undefined): { range_end?: Buffer } => (x === undefined || x.length === 0 ? {} : { range_end: b(x) });
const b = (x: Uint8Array | string | undefined): Buffer => Buffer.from(x === undefined ? '' : typeof x === 'string' ? Buffer.from(x, 'latin1') : x);

function rawKv(kv: any): RawKv {
  return { key: kv.key, value: kv.value, createRevision: kv.create_revision, modRevision: kv.mod_revision, version: kv.version, lease: kv.lease };
}

// ---- etcd side: camelCase requests → etcd3 raw RPC (snake_case, Buffers) ----

const eRange = (r: RangeRequest): any => ({
  key: b(r.key), ...end(r.rangeEnd), limit: r.limit ?? 0, revision: r.revision ?? 0, sort_order: r.sortOrder ?? 0, sort_target: r.sortTarget ?? 0,
  serializable: r.serializable ?? false, keys_only: r.keysOnly ?? false, count_only: r.countOnly ?? false,
  min_mod_revision: r.minModRevision ?? 0, max_mod_revision: r.maxModRevision ?? 0, min_create_revision: r.minCreateRevision ?? 0, max_create_revision: r.maxCreateRevision ?? 0,
});
const ePut = (r: PutRequest): any => ({ key: b(r.key), value: b(r.value), lease: String(r.lease ?? 0n), prev_kv: r.prevKv ?? false, ignore_value: r.ignoreValue ?? false, ignore_lease: r.ignoreLease ?? false });
const eDel = (r: DeleteRangeRequest): any => ({ key: b(r.key), ...end(r.rangeEnd), prev_kv: r.prevKv ?? false });
const eOp = (op: RequestOp): any =>
  'requestRange' in op ? { request_range: eRange(op.requestRange) } : 'requestPut' in op ? { request_put: ePut(op.requestPut) } : 'requestDeleteRange' in op ? { request_delete_range: eDel(op.requestDeleteRange) } : { request_txn: eTxn(op.requestTxn) };
function eTxn(t: TxnRequest): any {
  return {
    compare: (t.compare ?? []).map((c) => {
      const out: any = { key: b(c.key), ...end(c.rangeEnd), target: c.target, result: c.result };
      if (c.target === 0) out.version = c.version ?? 0;
      if (c.target === 1) out.create_revision = c.createRevision ?? 0;
      if (c.target === 2) out.mod_revision = c.modRevision ?? 0;
      if (c.target === 3) out.value = b(c.value);
      if (c.target === 4) out.lease = String(c.lease ?? 0n);
      return out;
    }),
    success: (t.success ?? []).map(eOp),
    failure: (t.failure ?? []).map(eOp),
  };
}

function eRangeView(req: RangeRequest, r: any): View {
  return rangeView(req, { revision: r.header.revision, kvs: r.kvs.map(rawKv), more: r.more, count: r.count });
}
const ePutView = (r: any): View => ({ rev: r.header.revision, prev: r.prev_kv ? kvView(rawKv(r.prev_kv)) : null });
const eDelView = (r: any): View => ({ rev: r.header.revision, deleted: r.deleted, prev: r.prev_kvs.map((kv: any) => kvView(rawKv(kv))) });
function eTxnView(req: TxnRequest, r: any): View {
  const ops = (r.succeeded ? req.success : req.failure) ?? [];
  return {
    rev: r.header.revision, ok: r.succeeded,
    res: r.responses.map((x: any, i: number) => {
      const op = ops[i]!;
      if ('requestRange' in op) return { range: eRangeView(op.requestRange, x.response_range) };
      if ('requestPut' in op) return { put: ePutView(x.response_put) };
      if ('requestDeleteRange' in op) return { del: eDelView(x.response_delete_range) };
      return { txn: eTxnView(op.requestTxn, x.response_txn) };
    }),
  };
}

/** The etcd error view: the gRPC status code and etcd's text. */
function errorView(e: unknown): View {
  // etcd3 rewrites lease errors as "Lease <original> is expired or revoked".
  const m = /(\d+) [A-Z_]+: (etcdserver: .*?)(?: is expired or revoked)?$/.exec((e as Error).message);
  if (m === null) throw e;
  return { error: m[2], status: Number(m[1]) };
}

/** Runs an op on etcd and returns its view. */
export async function runEtcd(etcd: Etcd3, op: Op): Promise<View> {
  try {
    switch (op.kind) {
      case 'put':
        return ePutView(await etcd.kv.put(ePut(op.req)));
      case 'range':
        return eRangeView(op.req, await etcd.kv.range(eRange(op.req)));
      case 'delete':
        return eDelView(await etcd.kv.deleteRange(eDel(op.req)));
      case 'txn':
        return eTxnView(op.req, await etcd.kv.txn(eTxn(op.req)));
      case 'compact':
        return { rev: (await etcd.kv.compact({ revision: op.revision, physical: false })).header.revision };
      case 'grant': {
        const r = await etcd.leaseClient.leaseGrant({ ID: String(op.id), TTL: op.ttl });
        return { rev: r.header.revision, id: r.ID, ttl: r.TTL };
      }
      case 'revoke':
        return { rev: (await etcd.leaseClient.leaseRevoke({ ID: String(op.id) })).header.revision };
    }
  } catch (e) {
    return errorView(e);
  }
}

// ---- raftkit side ----

const str = (x: number | bigint): string => String(x);
const rRangeView = (req: RangeRequest, r: any): View =>
  rangeView(req, { revision: str(r.header.revision), kvs: r.kvs, more: r.more, count: str(r.count) });
const rPutView = (r: any): View => ({ rev: str(r.header.revision), prev: r.prevKv ? kvView(r.prevKv) : null });
const rDelView = (r: any): View => ({ rev: str(r.header.revision), deleted: str(r.deleted), prev: r.prevKvs.map(kvView) });
function rTxnView(req: TxnRequest, r: any): View {
  const ops = (r.succeeded ? req.success : req.failure) ?? [];
  return {
    rev: str(r.header.revision), ok: r.succeeded,
    res: r.responses.map((x: ResponseOp, i: number) => {
      const op = ops[i]!;
      if ('requestRange' in op) return { range: rRangeView(op.requestRange, (x as any).responseRange) };
      if ('requestPut' in op) return { put: rPutView((x as any).responsePut) };
      if ('requestDeleteRange' in op) return { del: rDelView((x as any).responseDeleteRange) };
      return { txn: rTxnView(op.requestTxn, (x as any).responseTxn) };
    }),
  };
}

/** raftkit/kv's error view (etcd's text and status, as {@link errorView} reads etcd's); anything else is rethrown. */
function kvErrorView(e: unknown): View {
  if (e instanceof KvError) return { error: e.message, status: e.grpcStatus };
  throw e;
}

/** Runs an op on raftkit/kv and returns its view. */
export async function runRaftkit(kv: KvClient, op: Op): Promise<View> {
  try {
    switch (op.kind) {
      case 'put': {
        const { key, value, ...rest } = op.req;
        return rPutView(await kv.put(key, value ?? '', rest));
      }
      case 'range': {
        const { key, ...rest } = op.req;
        return rRangeView(op.req, await kv.range(key, rest));
      }
      case 'delete': {
        const { key, ...rest } = op.req;
        return rDelView(await kv.deleteRange(key, rest));
      }
      case 'txn':
        return rTxnView(op.req, await kv.txn(op.req));
      case 'compact':
        return { rev: str((await kv.compact(op.revision)).header.revision) };
      case 'grant': {
        const r = await kv.lease.grant(op.ttl, { id: op.id });
        return { rev: str(r.header.revision), id: str(r.id), ttl: str(r.ttl) };
      }
      case 'revoke':
        return { rev: str((await kv.lease.revoke(op.id)).header.revision) };
    }
  } catch (e) {
    return kvErrorView(e);
  }
}

/** etcd's HashKV at `revision` (0 = current) through `maintenance` (a raw Maintenance client; etcd3's proto lacks the call), as a view: the hash, the compacted and current revisions, or the error. */
export async function hashEtcd(maintenance: InstanceType<ServiceClientConstructor>, revision: number): Promise<View> {
  const { res, err } = await callUnary(maintenance, 'HashKV', { revision });
  if (err !== undefined) return errorView(err);
  const r = res as { hash: number; compactRevision: string; header: { revision: string } };
  return { hash: String(r.hash), compact: r.compactRevision, rev: r.header.revision };
}

/** raftkit/kv's hashKV at `revision`, as the view {@link hashEtcd} makes. */
export async function hashRaftkit(kv: KvClient, revision: number): Promise<View> {
  try {
    const r = await kv.maintenance.hashKV(revision);
    return { hash: String(r.hash), compact: String(r.compactRevision), rev: String(r.header.revision) };
  } catch (e) {
    return kvErrorView(e);
  }
}
