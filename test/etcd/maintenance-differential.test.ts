import { describe, expect, test } from 'vitest';
import { differentialPair, type Client, type Wire } from './differential-pair.js';
import { callUnary, rawClient } from './helpers.js';

// The same alarm and maintenance calls go to a real single-member etcd (3.4, started here; the
// test FAILS when it cannot start) and to a single-member raftkit cluster behind raftkit/etcd,
// through raw gRPC clients, with writes, reads, deletes, compactions and lease grants between
// them: what each alarm refuses and lets through, the alarm lists, disarming, MoveLeader to
// itself and to an unknown member, and Defragment. Answers are compared with the member id
// replaced by "self".

interface Side {
  kv: Client;
  lease: Client;
  maintenance: Client;
  self: string;
}

const ALARM = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;
const ACTION = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;

async function answer(client: Client, method: string, req: Wire, self: string): Promise<string> {
  const { res, err } = await callUnary(client, method, req);
  if (err !== undefined) return `error ${String(err.code)} ${err.details}`;
  const r = res!;
  switch (method) {
    case 'Alarm': return `alarms [${((r.alarms as Wire[]).map((a) => `${String(a.memberID) === self ? 'self' : String(a.memberID)}:${String(a.alarm)}`)).sort().join(',')}]`;
    case 'Put': case 'DeleteRange': case 'Compact': return `${method} at ${String((r.header as Wire).revision)}`;
    case 'Range': return `range ${String(r.count)} at ${String((r.header as Wire).revision)}`;
    case 'LeaseGrant': return `grant ttl ${String(r.TTL)}`;
    case 'LeaseRevoke': return `revoke at ${String((r.header as Wire).revision)}`;
    default: return `${method} ok`;
  }
}

describe('Alarms and maintenance answer as a real etcd does', () => {
  const pair = differentialPair();

  test('what NOSPACE and CORRUPT refuse and let through, alarm lists, disarming, MoveLeader and Defragment', async () => {
    const sides: Side[] = [];
    for (const url of [pair.etcd.url, pair.raftkitUrl]) {
      const maintenance = rawClient('Maintenance', url);
      const { res } = await callUnary(maintenance, 'Status', {});
      sides.push({ kv: rawClient('KV', url), lease: rawClient('Lease', url), maintenance, self: String((res!.header as Wire).memberId) });
    }
    const b = (s: string): Buffer => Buffer.from(s);
    const writes: [keyof Omit<Side, 'self'>, string, (s: Side) => Wire][] = [
      ['kv', 'Put', () => ({ key: b('k'), value: b('v') })],
      ['kv', 'Range', () => ({ key: b('k') })],
      ['kv', 'Range', () => ({ key: b('k'), serializable: true })],
      ['kv', 'DeleteRange', () => ({ key: b('gone') })],
      ['kv', 'Txn', () => ({ compare: [], success: [{ requestPut: { key: b('t'), value: b('1') } }], failure: [] })],
      ['kv', 'Txn', () => ({ compare: [], success: [{ requestRange: { key: b('t') } }], failure: [] })],
      ['lease', 'LeaseGrant', () => ({ ID: 0, TTL: 60 })],
      ['lease', 'LeaseGrant', () => ({ ID: 555, TTL: 60 })],
      ['lease', 'LeaseRevoke', () => ({ ID: 555 })],
      ['kv', 'Compact', () => ({ revision: 1 })],
    ];
    const steps: [keyof Omit<Side, 'self'>, string, (s: Side) => Wire][] = [
      ['maintenance', 'Alarm', () => ({ action: ACTION.GET, memberID: 0, alarm: ALARM.NONE })],
      ...writes,
      ['maintenance', 'Alarm', (s) => ({ action: ACTION.ACTIVATE, memberID: s.self, alarm: ALARM.NOSPACE })],
      ['maintenance', 'Alarm', () => ({ action: ACTION.GET, memberID: 0, alarm: ALARM.NONE })],
      ...writes,
      ['kv', 'Compact', () => ({ revision: 2 })],
      ['maintenance', 'Defragment', () => ({})],
      ['maintenance', 'Alarm', (s) => ({ action: ACTION.DEACTIVATE, memberID: s.self, alarm: ALARM.NOSPACE })],
      ['maintenance', 'Alarm', () => ({ action: ACTION.GET, memberID: 0, alarm: ALARM.NONE })],
      ...writes,
      ['maintenance', 'Alarm', (s) => ({ action: ACTION.ACTIVATE, memberID: s.self, alarm: ALARM.CORRUPT })],
      ['maintenance', 'Alarm', () => ({ action: ACTION.GET, memberID: 0, alarm: ALARM.NONE })],
      ...writes,
      ['maintenance', 'Alarm', (s) => ({ action: ACTION.DEACTIVATE, memberID: s.self, alarm: ALARM.CORRUPT })],
      ...writes,
      ['maintenance', 'MoveLeader', (s) => ({ targetID: s.self })],
      ['maintenance', 'MoveLeader', () => ({ targetID: '12345' })],
    ];
    const log: string[] = [];
    try {
      for (const [i, [client, method, req]] of steps.entries()) {
        const answers = await Promise.all(sides.map((s) => answer(s[client], method, req(s), s.self)));
        expect(answers[1], `step ${i}: ${method} ${JSON.stringify(req(sides[0]!))}`).toBe(answers[0]);
        log.push(`${method}: ${answers[0]!}`);
      }
      // The alarms did refuse what etcd refuses.
      expect(log).toContain('Put: error 8 etcdserver: mvcc: database space exceeded');
      expect(log).toContain('Put: error 15 etcdserver: corrupt cluster');
      expect(log).toContain('LeaseRevoke: error 15 etcdserver: corrupt cluster');
      expect(log).toContain('Compact: error 15 etcdserver: corrupt cluster');
    } finally {
      for (const s of sides) for (const c of [s.kv, s.lease, s.maintenance]) c.close();
    }
  }, 60_000);
});
