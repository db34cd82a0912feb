import { afterEach, describe, expect, test } from 'vitest';
import { ENTRY_WIRE_OVERHEAD, MESSAGE_WIRE_OVERHEAD, encodeMessageFrame } from '../../src/codec/message.js';
import { FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { EntryType } from '../../src/raft/entry.js';
import { MessageType, createMessage } from '../../src/raft/messages.js';
import { ENVELOPE_OVERHEAD } from '../../src/replica/envelope.js';
import { RequestTooLargeError } from '../../src/replica/errors.js';
import { DEFAULT_MAX_REQUEST_BYTES, checkFrameBudget } from '../../src/replica/options.js';
import { RaftkitError } from '../../src/errors.js';
import { Cluster, set } from './helpers/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A `k=xxx…` command of exactly `n` bytes for the test KvMachine. */
function command(n: number): Uint8Array {
  return set('k', 'x'.repeat(n - 2));
}

const OVERHEAD = ENVELOPE_OVERHEAD + ENTRY_WIRE_OVERHEAD + MESSAGE_WIRE_OVERHEAD;
const BOUND = 2 ** 48;

describe('maxRequestBytes', () => {
  test('defaults to 1.5 MiB, as etcd', () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(1_572_864);
  });

  test('the overhead budget covers the largest MsgApp of one entry', () => {
    const data = new Uint8Array(1000);
    const m = createMessage({
      type: MessageType.MsgApp, to: BOUND, from: BOUND, term: BOUND, logTerm: BOUND, index: BOUND, commit: BOUND, rejectHint: BOUND,
      entries: [{ term: BOUND, index: BOUND, type: EntryType.EntryConfChangeV2, data }],
    });
    const size = encodeMessageFrame(m).length - FRAME_HEADER_SIZE;
    expect(size).toBeLessThanOrEqual(data.length + ENTRY_WIRE_OVERHEAD + MESSAGE_WIRE_OVERHEAD);
  });

  test.each([
    { where: 'leader', size: 'at the limit', over: 0 },
    { where: 'follower', size: 'at the limit', over: 0 },
    { where: 'leader', size: 'just over', over: 1 },
    { where: 'follower', size: 'just over', over: 1 },
    { where: 'leader', size: 'far over (beyond the frame limit)', over: 17 * 1024 * 1024 },
    { where: 'follower', size: 'far over (beyond the frame limit)', over: 17 * 1024 * 1024 },
  ])('a command $size on the $where: refused up front when over, and the cluster keeps committing', async ({ where, over }) => {
    const limit = 64 * 1024;
    const c = (cluster = await Cluster.create([1, 2, 3], { maxRequestBytes: limit }));
    const leader = await c.waitLeader();
    const target = where === 'leader' ? leader : c.running().find((r) => r.id !== leader.id)!;
    const p = target.propose(command(limit + over));
    if (over === 0) {
      await p;
    } else {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTooLargeError);
      expect(err).toBeInstanceOf(RaftkitError);
      expect((err as RequestTooLargeError).code).toBe('ERR_REQUEST_TOO_LARGE');
      expect((err as RequestTooLargeError).message.startsWith(RequestTooLargeError.etcdMessage)).toBe(true);
      expect((err as RequestTooLargeError).size).toBe(limit + over);
      expect((err as RequestTooLargeError).limit).toBe(limit);
      expect(RequestTooLargeError.etcdMessage).toBe('etcdserver: request is too large');
      expect(await target.metrics()).toMatch(/raft_proposals_failed_total\{reason="too_large"\} 1/);
    }
    const index = await target.propose(set('after', 'x'));
    await c.waitApplied(index);
    expect(await leader.propose(set('again', 'y'))).toBeGreaterThan(index);
  });

  test('a command of exactly maxRequestBytes = maxFrameSize − overhead ships through real frames', async () => {
    const maxFrameSize = 32 * 1024;
    const limit = maxFrameSize - OVERHEAD;
    const c = (cluster = await Cluster.create([1, 2, 3], { maxRequestBytes: limit, maxSizePerMsg: 16 * 1024 }, { maxFrameSize }));
    const leader = await c.waitLeader();
    const follower = c.running().find((r) => r.id !== leader.id)!;
    // From the follower, so the command crosses the network twice: forwarded as MsgProp, then replicated as MsgApp.
    const index = await follower.propose(command(limit));
    await c.waitApplied(index);
    await expect(follower.propose(command(limit + 1))).rejects.toBeInstanceOf(RequestTooLargeError);
    await c.waitApplied(await leader.propose(set('after', 'x')));
  });

  test.each([
    { what: 'maxRequestBytes one byte over the frame budget', maxRequestBytes: 32 * 1024 - OVERHEAD + 1, maxSizePerMsg: 1024 },
    { what: 'a maxSizePerMsg whose batches may not fit a frame', maxRequestBytes: 1024, maxSizePerMsg: 32 * 1024 },
    { what: 'an unlimited maxSizePerMsg', maxRequestBytes: 1024, maxSizePerMsg: Infinity },
  ])('refuses $what with ConfigInvalidError', ({ maxRequestBytes, maxSizePerMsg }) => {
    expect(() => checkFrameBudget(maxRequestBytes, maxSizePerMsg, 32 * 1024)).toThrow(ConfigInvalidError);
    expect(() => checkFrameBudget(maxRequestBytes, maxSizePerMsg, undefined)).not.toThrow();
  });

  test('Replica.start refuses the default maxRequestBytes over a transport with small frames', async () => {
    const c = (cluster = new Cluster());
    c.transportOptions = { maxFrameSize: 64 * 1024 };
    await expect(c.start(1, { peers: [{ id: 1, address: 'inproc://1' }] })).rejects.toThrow(/maxRequestBytes \(1572864\).*maxFrameSize \(65536\)/);
  });
});
