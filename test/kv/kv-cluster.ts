import { MemoryLevel } from 'memory-level';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';
import { KvClient, type KvClientOptions } from '../../src/kv/kv-client.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import type { KvStateMachineOptions } from '../../src/kv/kv-state-machine.js';

const addr = (id: number): string => `inproc://${id}`;

/** In-process members running KvStateMachine over LevelStorage on memory-level dbs that survive restarts. */
export class KvCluster {
  readonly network: InProcessNetwork;
  readonly dbs = new Map<number, MemoryLevel<Uint8Array, Uint8Array>>();
  readonly replicas = new Map<number, Replica>();
  readonly clients = new Map<number, KvClient>();
  private readonly ids: number[];
  private readonly smOptions: KvStateMachineOptions;
  private readonly extra: Record<string, unknown>;

  private readonly clientOptions: KvClientOptions;

  constructor(ids: number[], smOptions: KvStateMachineOptions = {}, extra: Record<string, unknown> = {}, clientOptions: KvClientOptions = {}, network = new InProcessNetwork()) {
    this.network = network;
    this.clientOptions = clientOptions;
    this.ids = ids;
    this.smOptions = smOptions;
    this.extra = extra;
  }

  static async create(n: number, smOptions: KvStateMachineOptions = {}, extra: Record<string, unknown> = {}, clientOptions: KvClientOptions = {}): Promise<KvCluster> {
    const c = new KvCluster(Array.from({ length: n }, (_, i) => i + 1), smOptions, extra, clientOptions);
    await Promise.all(c.ids.map((id) => c.start(id)));
    await c.waitLeader();
    return c;
  }

  async start(id: number): Promise<KvClient> {
    let db = this.dbs.get(id);
    if (db === undefined) this.dbs.set(id, (db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })));
    const storage = await LevelStorage.open({ db });
    const r = await Replica.start<unknown>({
      tickMs: 10,
      electionTick: 10,
      heartbeatTick: 1,
      seed: id,
      ...this.extra,
      id,
      peers: this.ids.map((i) => ({ id: i, address: addr(i) })),
      storage,
      transport: this.network.transport(id),
      stateMachine: new KvStateMachine({ storage, electionMs: 100, ...this.smOptions }),
    });
    this.replicas.set(id, r);
    const client = new KvClient(r, this.clientOptions);
    this.clients.set(id, client);
    return client;
  }

  client(id: number): KvClient {
    return this.clients.get(id)!;
  }

  async stop(id: number): Promise<void> {
    await this.replicas.get(id)?.stop();
    this.replicas.delete(id);
    this.clients.delete(id);
  }

  /** Resolves once one member leads and every running member knows it (event driven, with a deadline). */
  async waitLeader(timeoutMs = 10_000): Promise<Replica> {
    const rs = [...this.replicas.values()];
    const find = (): Replica | undefined => {
      const l = rs.find((r) => r.status().role === StateType.Leader);
      return l !== undefined && rs.every((r) => r.status().leader === l.id) ? l : undefined;
    };
    const now = find();
    if (now !== undefined) return now;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const l = find();
        if (l === undefined) return;
        done();
        resolve(l);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error('timed out waiting for a leader'));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        for (const r of rs) {
          r.off('leader-change', check);
          r.off('role-change', check);
        }
      };
      for (const r of rs) {
        r.on('leader-change', check);
        r.on('role-change', check);
      }
    });
  }

  /** Resolves once every running member has applied at least `index` (event driven, with a deadline). */
  waitApplied(index: number, timeoutMs = 10_000): Promise<void> {
    const rs = [...this.replicas.values()];
    const done = (): boolean => rs.every((r) => r.status().applied >= index);
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        off();
        resolve();
      };
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for applied ${index}`));
      }, timeoutMs);
      const off = (): void => {
        clearTimeout(timer);
        for (const r of rs) r.off('applied', check);
      };
      for (const r of rs) r.on('applied', check);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.replicas.values()].map((r) => r.stop()));
    this.network.close();
  }
}
