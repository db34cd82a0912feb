import { status as Status, type handleBidiStreamingCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvClient } from '../kv/kv-client.js';
import type { ResponseHeader } from '../kv/types.js';
import type { RequestOptions } from '../replica/options.js';
import { headerOut, type Wire } from './convert.js';
import { etcdError, toGrpcError } from './errors.js';
import { requiresLeader, unary, unaryNoCancel, unimplemented, wireBig, wireNum, type RpcContext } from './rpc.js';

const SERVICE = 'etcdserverpb.Lease';

/** The lease operations raftkit/kv adds with lease expiry (keep-alive and time-to-live), when present. */
interface LeaseLiveness {
  keepAliveOnce?: (id: bigint, options: RequestOptions) => Promise<{ header: ResponseHeader; id: bigint; ttl: number }>;
  timeToLive?: (id: bigint, options: { keys?: boolean } & RequestOptions) => Promise<{ header: ResponseHeader; id: bigint; ttl: number; grantedTtl: number; keys: Uint8Array[] }>;
}

/** The message of the Lease RPCs that need lease expiry in raftkit/kv (not served yet). */
export const NEEDS_LEASE_EXPIRY = 'raftkit: this Lease RPC needs lease expiry (keep-alive, time-to-live) in raftkit/kv, which this build does not serve yet';

/**
 * The Lease service over a `KvClient`'s leases: LeaseGrant, LeaseRevoke, LeaseLeases; and
 * LeaseKeepAlive and LeaseTimeToLive when the lease client has `keepAliveOnce`/`timeToLive`
 * (`UNIMPLEMENTED` otherwise).
 * @internal
 */
export function leaseService(ctx: RpcContext, kv: KvClient): UntypedServiceImplementation {
  const live = kv.lease as unknown as LeaseLiveness;
  const out: UntypedServiceImplementation = {
    LeaseGrant: unary(ctx, SERVICE, 'LeaseGrant', async (w: Wire, opts) => {
      const r = await kv.lease.grant(wireNum(w.TTL), { ...opts, id: wireBig(w.ID) });
      return { header: headerOut(r.header), ID: String(r.id), TTL: String(r.ttl) };
    }),
    LeaseRevoke: unary(ctx, SERVICE, 'LeaseRevoke', async (w: Wire, opts) => {
      const r = await kv.lease.revoke(wireBig(w.ID), opts);
      return { header: headerOut(r.header) };
    }),
    LeaseLeases: unaryNoCancel(ctx, SERVICE, 'LeaseLeases', () => ({ header: ctx.header(), leases: kv.lease.listByExpiry().map((l) => ({ ID: String(l.id) })) })),
  };
  const ttl = live.timeToLive?.bind(kv.lease);
  out.LeaseTimeToLive = ttl === undefined
    ? unimplemented(ctx, SERVICE, 'LeaseTimeToLive', 'unary', NEEDS_LEASE_EXPIRY)
    : unary(ctx, SERVICE, 'LeaseTimeToLive', async (w: Wire, opts) => {
      const id = wireBig(w.ID);
      if (kv.lease.get(id) === undefined) {
        // etcd answers a missing lease with TTL -1 rather than an error.
        return { header: ctx.header(), ID: String(id), TTL: '-1', grantedTTL: '0', keys: [] };
      }
      const r = await ttl(id, { ...opts, keys: w.keys === true });
      return { header: headerOut(r.header), ID: String(r.id), TTL: String(r.ttl), grantedTTL: String(r.grantedTtl), keys: r.keys };
    });
  const once = live.keepAliveOnce?.bind(kv.lease);
  out.LeaseKeepAlive = once === undefined ? unimplemented(ctx, SERVICE, 'LeaseKeepAlive', 'bidi_stream', NEEDS_LEASE_EXPIRY) : keepAlive(ctx, once);
  return out;
}

function keepAlive(ctx: RpcContext, once: NonNullable<LeaseLiveness['keepAliveOnce']>): handleBidiStreamingCall<Wire, Wire> {
  return (call) => {
    const done = ctx.grpc.start({ grpc_type: 'bidi_stream', grpc_service: SERVICE, grpc_method: 'LeaseKeepAlive' }, call.metadata);
    /** Keep-alives not answered yet; a half-closed stream ends once they are (etcd answers each request it read). */
    let pending = 0;
    let halfClosed = false;
    /** The stream failed: nothing more is written. */
    let failed = false;
    const stopWatch = watchLeaderLoss(ctx, requiresLeader(call.metadata), () => {
      const err = etcdError('noLeader');
      failed = true;
      done(err.code);
      call.emit('error', err);
    });
    // A cancelled stream gives up its keep-alives still waiting (for a leader, or to apply).
    const cancel = new AbortController();
    const settle = (): void => {
      if (--pending === 0 && halfClosed && !failed) end();
    };
    call.on('data', (w: Wire) => {
      const id = wireBig(w.ID);
      pending++;
      once(id, { signal: cancel.signal }).then(
        (r) => {
          if (!failed) call.write({ header: headerOut(r.header), ID: String(r.id), TTL: String(r.ttl) });
          settle();
        },
        (e: unknown) => {
          if (cancel.signal.aborted) return;
          const err = toGrpcError(e);
          if (err.details === etcdError('leaseNotFound').details) {
            if (!failed) call.write({ header: ctx.header(), ID: String(id), TTL: '0' });
          } else if (!failed) {
            failed = true;
            stopWatch();
            done(err.code);
            call.emit('error', err);
          }
          settle();
        },
      );
    });
    const end = (): void => {
      stopWatch();
      done(Status.OK);
      call.end();
    };
    call.on('end', () => {
      halfClosed = true;
      if (pending === 0 && !failed) end();
    });
    call.on('cancelled', () => {
      stopWatch();
      cancel.abort(etcdError('canceled'));
      done(Status.CANCELLED);
    });
  };
}

/**
 * Under `hasleader`, calls `onLoss` once the member has been without a leader for
 * `ctx.leaderLossMs` (etcd: three election timeouts); returns the function that stops watching.
 * @internal
 */
export function watchLeaderLoss(ctx: RpcContext, required: boolean, onLoss: () => void): () => void {
  if (!required) return () => undefined;
  let since: number | undefined;
  const timer = setInterval(() => {
    if (ctx.leader() !== 0) {
      since = undefined;
      return;
    }
    since ??= performance.now();
    if (performance.now() - since >= ctx.leaderLossMs) {
      clearInterval(timer);
      onLoss();
    }
  }, Math.max(10, Math.floor(ctx.leaderLossMs / 30)));
  timer.unref();
  return () => clearInterval(timer);
}
