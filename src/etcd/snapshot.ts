import { status as Status, type handleServerStreamingCall } from '@grpc/grpc-js';
import type { KvSnapshots } from '../kv/etcd-backend/snapshots.js';
import type { Wire } from './convert.js';
import { toGrpcError } from './errors.js';
import type { RpcContext } from './rpc.js';

/**
 * Maintenance.Snapshot: the member's KV as an etcd backend (bbolt) file, streamed as etcd does —
 * `SnapshotResponse {remaining_bytes, blob}` (no header, as etcd's) with 32 KiB blobs and a last blob holding the
 * SHA-256 of the file — so `etcdctl snapshot save` stores a file `etcdctl snapshot status` and
 * `etcdctl snapshot restore` accept. A client that goes away stops the stream (and its temp file).
 * `transferred`, when given, hears how long each stream held its snapshot, in seconds, as etcd
 * times its backend snapshots (`etcd_disk_backend_snapshot_duration_seconds`).
 * @internal
 */
export function snapshotCall(ctx: RpcContext, snapshots: KvSnapshots, transferred?: (seconds: number) => void): handleServerStreamingCall<Wire, Wire> {
  return (call) => {
    const done = ctx.grpc.start({ grpc_type: 'server_stream', grpc_service: 'etcdserverpb.Maintenance', grpc_method: 'Snapshot' }, call.metadata);
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    const started = performance.now();
    const send = async (): Promise<void> => {
      for await (const c of snapshots.snapshot()) {
        if (cancelled) return;
        // As etcd's: no header, the remaining bytes and the blob alone.
        const more = call.write({ remainingBytes: String(c.remainingBytes), blob: Buffer.from(c.blob.buffer, c.blob.byteOffset, c.blob.byteLength) });
        if (!more) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
      }
    };
    send().finally(() => transferred?.((performance.now() - started) / 1000)).then(
      () => {
        done(cancelled ? Status.CANCELLED : Status.OK);
        if (!cancelled) call.end();
      },
      (e: unknown) => {
        const err = toGrpcError(e);
        done(err.code);
        call.emit('error', err);
      },
    );
  };
}
