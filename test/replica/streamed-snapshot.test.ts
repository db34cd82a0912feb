import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { StateType } from '../../src/raft/ready.js';
import { Replica } from '../../src/replica/replica.js';
import type { Command, StateMachine, StateMachineSnapshotStream } from '../../src/replica/state-machine.js';
import { LevelStorage } from '../../src/storage/level-storage.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { waitUntil } from './helpers/cluster.js';

const BLOCK = 1 << 20;
const GROWS = Number(process.env.GROWS ?? 12);

/** Block `i` of a {@link BlockMachine}'s state: 1 MiB of bytes derived from `i` (never stored). */
function block(i: number): Uint8Array {
  const pattern = new Uint8Array(4096);
  const dv = new DataView(pattern.buffer);
  let x = (i + 1) * 2654435761;
  for (let at = 0; at < pattern.length; at += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    dv.setUint32(at, x >>> 0);
  }
  const b = new Uint8Array(BLOCK);
  for (let at = 0; at < BLOCK; at += pattern.length) b.set(pattern, at);
  return b;
}

/**
 * A state machine whose state is `blocks` MiB of derived bytes: a command adds blocks. Its
 * snapshot is streamed (each block is generated when read and dropped after), and a restore
 * checks every byte it receives against the blocks it stands for without keeping them. The
 * buffered `snapshot`/`restore` throw: this test must never use them.
 */
class BlockMachine implements StateMachine<number> {
  blocks = 0;
  applied = 0;
  restored: { bytes: number; ok: boolean } | undefined;

  appliedIndex(): number {
    return this.applied;
  }

  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      this.blocks += c.data[0]!;
      this.applied = c.index;
      return this.blocks;
    });
  }

  snapshot(): Uint8Array {
    throw new Error('the buffered snapshot() must not be called');
  }

  restore(): void {
    throw new Error('the buffered restore() must not be called');
  }

  *snapshotChunks(): Iterable<Uint8Array> {
    for (let i = 0; i < this.blocks; i++) yield block(i);
  }

  async restoreChunks(s: StateMachineSnapshotStream): Promise<void> {
    let bytes = 0;
    let ok = true;
    let expected = block(0);
    for await (const chunk of s.chunks) {
      for (let at = 0; at < chunk.length; ) {
        const off = bytes % BLOCK;
        const n = Math.min(chunk.length - at, BLOCK - off);
        if (Buffer.compare(chunk.subarray(at, at + n), expected.subarray(off, off + n)) !== 0) ok = false;
        at += n;
        bytes += n;
        if (bytes % BLOCK === 0) expected = block(bytes / BLOCK);
      }
    }
    this.restored = { bytes, ok };
    this.blocks = bytes / BLOCK;
    this.applied = s.index;
  }
}

/** The process's anonymous resident memory (heap and buffers, not mapped files) on Linux; else the whole RSS. */
function rssAnon(): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

const dirs: string[] = [];
const running: Replica<number>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function member(id: number, dir: string, sm: BlockMachine, port: number, membership: { peers?: { id: number; address: string }[] }): Promise<Replica<number>> {
  const transport = new TcpTransport({ id, port, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, snapshotChunkSize: 64 * 1024 });
  const storage = new LevelStorage({ path: dir, snapshotChunkSize: 256 * 1024 });
  const r = await Replica.start<number>({ id, storage, transport, stateMachine: sm, tickMs: 10, electionTick: 10, heartbeatTick: 1, seed: id, snapshotEvery: 32, compactionTail: 2, requestTimeoutMs: 60_000, ...membership });
  running.push(r);
  return r;
}

test('a lagging follower catches up through a streamed snapshot of a large state: chunk by chunk, never one buffer', async () => {
  const ids = [1, 2, 3];
  const paths = ids.map(() => mkdtempSync(join(tmpdir(), 'raftkit-stream-')));
  dirs.push(...paths);
  // Listen first to learn the ports; the replicas then start on them.
  const probes = await Promise.all(ids.map(async (id) => {
    const t = new TcpTransport({ id });
    await t.start();
    const port = Number(t.address!.split(':')[1]);
    await t.close();
    return port;
  }));
  const peers = ids.map((id, i) => ({ id, address: `127.0.0.1:${probes[i]}` }));
  const machines = ids.map(() => new BlockMachine());
  const replicas = await Promise.all(ids.map((id, i) => member(id, paths[i]!, machines[i]!, probes[i]!, { peers })));
  let leader: Replica<number> | undefined;
  await waitUntil(replicas, ['leader-change'], () => {
    leader = replicas.find((r) => r.status().role === StateType.Leader);
    return leader !== undefined && replicas.every((r) => r.status().leader === leader!.id);
  }, 'a leader');
  const lagging = ids.find((id) => id !== leader!.id)!;
  const li = ids.indexOf(lagging);
  await replicas[li]!.stop();

  // 48 MiB of state, then enough entries for a snapshot and a compaction past the follower.
  const snapshots: number[] = [];
  leader!.on('snapshot', (kind, index) => kind === 'created' && snapshots.push(index));
  for (let i = 0; i < GROWS; i++) await leader!.propose(new Uint8Array([4]));
  const grown = leader!.status().applied;
  for (let i = 0; i < 40 && (snapshots.at(-1) ?? 0) < grown; i++) await leader!.propose(new Uint8Array([0]));
  expect(snapshots.at(-1)).toBeGreaterThanOrEqual(grown);

  const base = { rss: process.memoryUsage().rss, anon: rssAnon() };
  const peak = { ...base };
  const sampler = setInterval(() => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    peak.anon = Math.max(peak.anon, rssAnon());
  }, 5);
  const sm = new BlockMachine();
  const back = await member(lagging, paths[li]!, sm, probes[li]!, {});
  await waitUntil([back], ['applied', 'snapshot'], () => back.status().applied >= leader!.status().commit, 'the follower to catch up', 30_000);
  clearInterval(sampler);
  const growthMiB = (peak.anon - base.anon) / BLOCK;
  console.log(
    `streamed catch-up of a ${GROWS * 4} MiB snapshot: peak RSS growth ${((peak.rss - base.rss) / BLOCK).toFixed(1)} MiB, ` +
      `of which anonymous (heap, buffers; not LevelDB's mapped files) ${growthMiB.toFixed(1)} MiB`,
  );

  expect(sm.restored).toEqual({ bytes: GROWS * 4 * BLOCK, ok: true });
  expect(sm.blocks).toBe(GROWS * 4);
  // Sender and receiver share this process: together they stay under the snapshot's size (a
  // buffered transfer holds at least one whole copy, 48 MiB, on each side; streamed measures
  // 10–28 MiB on a quiet machine, more when a loaded machine's collector runs late).
  expect(growthMiB).toBeLessThan(GROWS * 4);
}, 60_000);
