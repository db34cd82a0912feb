import type { ChannelOptions, ClientDuplexStream, ServiceClientConstructor } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { EtcdServer } from '../kv/etcd-server.js';
import { rawClient, startKvCluster, type KvCluster } from './helpers.js';
import { freePort, singleMemberArgs, spawnRaftkit } from './process-cluster.js';

/** The two sides of a differential test, once the calling file's `beforeAll` has run. */
export interface DifferentialPair {
  /** A real single-member etcd (3.4; starting it FAILS the file when it cannot start). */
  etcd: EtcdServer;
  /** A one-member raftkit cluster behind raftkit/etcd. */
  raftkit: KvCluster;
  /** The raftkit member's client URL. */
  raftkitUrl: string;
}

/**
 * Registers, for the calling test file, a real etcd and a one-member raftkit cluster, started
 * before its tests and stopped after them. `stateMachine` makes the raftkit member's state machine
 * (to match etcd's election timeout where a test depends on it).
 */
export function differentialPair(stateMachine?: () => KvStateMachine): DifferentialPair {
  const pair = {} as DifferentialPair;
  beforeAll(async () => {
    pair.etcd = await EtcdServer.start();
    pair.raftkit = await startKvCluster([1], {}, undefined, stateMachine);
    pair.raftkitUrl = pair.raftkit.urls.get(1)!;
  }, 60_000);
  afterAll(async () => {
    await pair.raftkit?.close();
    await pair.etcd?.stop();
  });
  return pair;
}

/** The two sides of a differential test whose raftkit side must be a `raftkit` process (peers over TCP). */
export interface ProcessPair {
  /** A real single-member etcd (3.4). */
  etcd: EtcdServer;
  /** The `raftkit` member's client URL. */
  raftkitUrl: string;
}

/**
 * Registers, for the calling test file, a real etcd and a single-member `raftkit` process named
 * `name`, started before its tests and killed after them; both get `extraArgs`.
 */
export function differentialProcessPair(name: string, extraArgs: readonly string[] = []): ProcessPair {
  const pair = {} as ProcessPair;
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-diff-proc-'));
  let rk: ReturnType<typeof spawnRaftkit> | undefined;
  beforeAll(async () => {
    pair.etcd = await EtcdServer.start(undefined, extraArgs);
    pair.raftkitUrl = `http://127.0.0.1:${String(await freePort())}`;
    rk = spawnRaftkit([...singleMemberArgs(name, join(dir, name), pair.raftkitUrl, `http://127.0.0.1:${String(await freePort())}`), ...extraArgs]);
    await rk.started;
  }, 60_000);
  afterAll(async () => {
    rk?.child.kill('SIGKILL');
    await rk?.exited;
    await pair.etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return pair;
}

/** A raw gRPC client of one etcd service (`rawClient`). */
export type Client = InstanceType<ServiceClientConstructor>;
/** A message as proto-loader hands it over. */
export type Wire = Record<string, unknown>;

/** One side's raw KV client and an open Watch stream (`watchStreams`). */
export interface WatchStreamSide {
  kv: Client;
  watch: Client;
  stream: ClientDuplexStream<Wire, Wire>;
  /** The create answers received. */
  created: number;
}

/**
 * Registers, for the calling test file, a raw KV client and one Watch stream on each of `urls()`
 * (read in `beforeAll`, after the pair started), closed after the file's tests. Create answers are
 * counted in `created`; `onResponse` gets every other Watch response with its side's index. The
 * returned array is filled in `beforeAll`.
 */
export function watchStreams(urls: () => string[], onResponse: (side: number, r: Wire) => void, watchOptions: ChannelOptions = {}): WatchStreamSide[] {
  const sides: WatchStreamSide[] = [];
  beforeAll(() => {
    urls().forEach((url, i) => {
      const watch = rawClient('Watch', url, watchOptions);
      const stream = (watch as unknown as { Watch(): ClientDuplexStream<Wire, Wire> }).Watch();
      stream.on('error', () => undefined);
      const side: WatchStreamSide = { kv: rawClient('KV', url), watch, stream, created: 0 };
      stream.on('data', (r: Wire) => {
        if (r.created === true) side.created++;
        else onResponse(i, r);
      });
      sides.push(side);
    });
  });
  afterAll(() => {
    for (const s of sides) {
      s.stream.end();
      s.stream.cancel();
      s.kv.close();
      s.watch.close();
    }
  });
  return sides;
}
