import type { ClientDuplexStream } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { SeededRng } from '../../src/raft/rng.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { differentialPair, type Client, type Wire } from './differential-pair.js';
import { callUnary, rawClient } from './helpers.js';

// The same seeded lease calls go to a real etcd (3.4, started here; the test FAILS when it cannot
// start) and to a one-member raftkit cluster behind raftkit/etcd (its election timeout etcd's
// default 1 s, which sets the shortest TTL a lease gets), through raw gRPC clients: grants with
// chosen ids and TTLs (too short, too long, taken ids), puts attached to leases, revokes,
// TimeToLive with and without keys, Leases, and KeepAlive on one stream. Every answer is
// reduced to what both define alike and compared; a remaining TTL may differ by a second, as the
// two clocks tick apart.

const SEEDS = [21, 22];
const STEPS = 120;
const IDS = [101, 102, 103, 104, 105];

/** A seeded PRNG's next float in [0, 1). */
function rng(seed: number): () => number {
  const g = new SeededRng(seed);
  return () => g.nextFloat();
}

interface Side {
  kv: Client;
  lease: Client;
  keepAlive: ClientDuplexStream<Wire, Wire>;
  answers: Wire[];
}

function openSide(url: string): Side {
  const lease = rawClient('Lease', url);
  const keepAlive = (lease as unknown as { LeaseKeepAlive(): ClientDuplexStream<Wire, Wire> }).LeaseKeepAlive();
  const side: Side = { kv: rawClient('KV', url), lease, keepAlive, answers: [] };
  keepAlive.on('error', () => undefined);
  keepAlive.on('data', (r: Wire) => side.answers.push(r));
  return side;
}

/** An answer or error as text both sides define alike (`ttlSlack`: remaining TTLs rounded to a 2-second step). */
function view(method: string, res: Wire | undefined, err: { code?: number; details?: string } | undefined): string {
  if (err !== undefined) return `error ${String(err.code)} ${String(err.details)}`;
  const r = res!;
  const rev = String((r.header as Wire).revision);
  switch (method) {
    case 'LeaseGrant': return `grant ${String(r.ID)} ttl ${String(r.TTL)} error '${String(r.error)}' at ${rev}`;
    case 'LeaseRevoke': return `revoke at ${rev}`;
    case 'LeaseTimeToLive': {
      const keys = ((r.keys as Buffer[] | undefined) ?? []).map((k) => k.toString()).sort().join(',');
      return `ttl ${String(r.ID)} granted ${String(r.grantedTTL)} keys [${keys}] alive ${String(Number(r.TTL) > 0)}`;
    }
    case 'LeaseLeases': return `leases ${((r.leases as Wire[]).map((l) => String(l.ID))).sort().join(',')}`;
    case 'Put': return `put at ${rev}`;
    case 'Range': return `range ${((r.kvs as Wire[]).map((kv) => `${(kv.key as Buffer).toString()}@l${String(kv.lease)}`)).join(',')} at ${rev}`;
    default: throw new Error(method);
  }
}

/** The remaining TTL of `id` (-1 when it has none), for the one-second comparison. */
async function remaining(s: Side, id: number): Promise<number> {
  const { res } = await callUnary(s.lease, 'LeaseTimeToLive', { ID: id });
  return Number(res?.TTL ?? -1);
}

describe('Lease answers as a real etcd does', () => {
  const pair = differentialPair(() => new KvStateMachine({ electionMs: 1000 }));

  test('seeded grants, attached puts, revokes, TimeToLive, Leases and KeepAlive: the same answers and errors', async () => {
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const sides = [openSide(pair.etcd.url), openSide(pair.raftkitUrl)] as const;
      const r = rng(seed);
      const pick = (): number => IDS[Math.floor(r() * IDS.length)]!;
      try {
        for (let step = 0; step < STEPS; step++) {
          const x = r();
          const id = pick();
          let call: ['kv' | 'lease', string, Wire];
          if (x < 0.05) {
            // A TTL below the shortest (raised to it) or above the longest (refused); the lease is revoked at once, before it can expire.
            const ttl = r() < 0.5 ? 1 : 9_000_000_001;
            const answers = await Promise.all(sides.map(async (s) => {
              const { res, err } = await callUnary(s.lease, 'LeaseGrant', { ID: 999, TTL: ttl });
              await callUnary(s.lease, 'LeaseRevoke', { ID: 999 });
              return view('LeaseGrant', res, err);
            }));
            expect(answers[1], `seed ${seed} step ${step}: grant with TTL ${ttl}`).toBe(answers[0]);
            seen.add(`LeaseGrant ${answers[0]!.startsWith('error') ? answers[0] : `ttl ${ttl} ok`}`);
            continue;
          }
          if (x < 0.25) call = ['lease', 'LeaseGrant', { ID: r() < 0.1 ? 0 : id, TTL: r() < 0.5 ? 60 : 300 }]; else if (x < 0.45) call = ['kv', 'Put', { key: Buffer.from(`k${Math.floor(r() * 6)}`), value: Buffer.from(`v${step}`), lease: r() < 0.8 ? id : 0 }];
          else if (x < 0.55) call = ['lease', 'LeaseRevoke', { ID: id }];
          else if (x < 0.75) call = ['lease', 'LeaseTimeToLive', { ID: id, keys: r() < 0.5 }];
          else if (x < 0.85) call = ['lease', 'LeaseLeases', {}];
          else if (x < 0.92) call = ['kv', 'Range', { key: Buffer.from('k'), rangeEnd: Buffer.from('l') }];
          else {
            // KeepAlive on the stream: both answer with the lease's TTL, or 0 for a lease that does not exist.
            const before = sides.map((s) => s.answers.length);
            for (const s of sides) s.keepAlive.write({ ID: id });
            const until = performance.now() + 3000;
            while (sides.some((s, i) => s.answers.length <= before[i]!) && performance.now() < until) await new Promise((res) => setTimeout(res, 2));
            const got = sides.map((s) => { const a = s.answers.at(-1)!; return `keepalive ${String(a.ID)} ttl ${String(a.TTL)}`; });
            expect(got[1], `seed ${seed} step ${step}: keepalive ${id}`).toBe(got[0]);
            seen.add(got[0]!.endsWith('ttl 0') ? 'keepalive of a missing lease' : 'keepalive');
            continue;
          }
          // A grant whose id is 0 lets each side choose an id: only its shape is compared, and it is revoked at once.
          const answers = await Promise.all(sides.map(async (s) => {
            const { res, err } = await callUnary(call[0] === 'kv' ? s.kv : s.lease, call[1], call[2]);
            if (call[1] === 'LeaseGrant' && call[2].ID === 0 && res !== undefined) {
              await callUnary(s.lease, 'LeaseRevoke', { ID: res.ID as string });
              return `grant chosen id ttl ${String(res.TTL)}`;
            }
            return view(call[1], res, err);
          }));
          expect(answers[1], `seed ${seed} step ${step}: ${call[1]} ${JSON.stringify(call[2], (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v))}`).toBe(answers[0]);
          seen.add(`${call[1]} ${answers[0]!.startsWith('error') ? answers[0] : 'ok'}`);
          if (call[1] === 'LeaseTimeToLive' && answers[0]!.includes('alive true')) {
            const [a, b] = await Promise.all(sides.map((s) => remaining(s, id)));
            expect(Math.abs(a! - b!), `seed ${seed} step ${step}: remaining TTL of ${id}: ${a} ${b} (${answers[0]})`).toBeLessThanOrEqual(1);
          }
        }
        for (const id of IDS) await Promise.all(sides.map((s) => callUnary(s.lease, 'LeaseRevoke', { ID: id })));
      } finally {
        for (const s of sides) {
          s.keepAlive.end();
          s.keepAlive.cancel();
          s.kv.close();
          s.lease.close();
        }
      }
    }
    // The sequences reached the interesting cases.
    for (const want of [
      'LeaseGrant ok', 'LeaseGrant ttl 1 ok', 'LeaseGrant error 9 etcdserver: lease already exists', 'LeaseGrant error 11 etcdserver: too large lease TTL',
      'LeaseRevoke ok', 'LeaseRevoke error 5 etcdserver: requested lease not found', 'Put ok', 'Put error 5 etcdserver: requested lease not found',
      'LeaseTimeToLive ok', 'LeaseLeases ok', 'keepalive', 'keepalive of a missing lease',
    ]) expect([...seen], want).toContain(want);
  }, 120_000);
});
