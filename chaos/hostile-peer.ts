/**
 * A hostile peer: it connects to members over plain TCP, performs a valid handshake in the
 * name of another member, and sends mutated valid Raft messages (field mutations that break
 * the rules of `PEER_MESSAGE_RULES`, stale terms, out-of-bound values, spoofed senders,
 * truncated frames, oversize headers, snapshots with broken metadata).
 *
 * It never sends a structurally valid message at the current term or above: Raft assumes its
 * members do not lie (a structurally valid lie, such as an append at the current term in the
 * name of the leader, is indistinguishable from the leader), and under mutual TLS a
 * certificate binds the member id. Such messages are made stale (term 1) instead, so they
 * still go through the core's lower-term paths. Messages that break the core's `term-step`
 * rule are kept: the core refuses them.
 *
 * Used by `test/replica/peer-fuzz.test.ts` and by the chaos run's `hostile` nemesis.
 */
import * as net from 'node:net';
import { encodeFrame } from '../src/codec/frame.js';
import { encodeMessage, encodeMessageFrame } from '../src/codec/message.js';
import { EMPTY_BYTES, EntryType, type Entry } from '../src/raft/entry.js';
import { MessageType, createMessage, type Message } from '../src/raft/messages.js';
import { MAX_INDEX, MAX_TERM, MAX_TERM_STEP, TERM_SOFT_LIMIT, checkPeerMessage, termStepAllowed } from '../src/raft/peer-message.js';
import { SeededRng } from '../src/raft/rng.js';
import { Channel, encodeHandshake } from '../src/transport/handshake.js';

/** What the generator knows of the cluster (from `status()`), to aim near the real values. */
export interface ClusterView {
  /** The current term. */
  term: number;
  /** The commit index. */
  commit: number;
}

const WIRE_TYPES: readonly MessageType[] = [
  MessageType.MsgProp, MessageType.MsgApp, MessageType.MsgAppResp, MessageType.MsgVote, MessageType.MsgVoteResp, MessageType.MsgSnap,
  MessageType.MsgHeartbeat, MessageType.MsgHeartbeatResp, MessageType.MsgTransferLeader, MessageType.MsgTimeoutNow,
  MessageType.MsgReadIndex, MessageType.MsgReadIndexResp, MessageType.MsgPreVote, MessageType.MsgPreVoteResp, MessageType.MsgForgetLeader,
];

/** A mutated message and how it is to be delivered. */
export interface HostileFrame {
  /** The frame bytes (one length-prefixed frame, or garbage). */
  bytes: Uint8Array;
  /** `'snapshot'`: send it on its own snapshot-channel connection. `'close'`: the receiver will close the connection. */
  channel: 'messages' | 'snapshot' | 'close';
}

/** Generates mutated messages from member `from` to member `to`, seeded. */
export class HostileMessages {
  private readonly rng: SeededRng;
  private readonly maxProposalBytes: number;

  /**
   * @param seed - seeds every choice.
   * @param maxProposalBytes - the receivers' proposal size limit (to aim just above it).
   */
  constructor(seed: number, maxProposalBytes: number) {
    this.rng = new SeededRng(seed);
    this.maxProposalBytes = maxProposalBytes;
  }

  private int(n: number): number {
    return this.rng.nextInt(n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** A value that breaks or stresses a term/index field. */
  private wild(v: ClusterView): number {
    return this.pick([0, 1, v.term + 1, TERM_SOFT_LIMIT + MAX_TERM_STEP + 1, MAX_TERM, MAX_TERM + 1, MAX_INDEX + 1, Number.MAX_SAFE_INTEGER, this.int(1e9), v.commit + this.int(10)]);
  }

  private entries(index: number, logTerm: number, term: number): Entry[] {
    const n = this.int(4);
    const out: Entry[] = [];
    let t = logTerm;
    for (let i = 0; i < n; i++) {
      t = Math.min(term, t + this.int(2));
      out.push({ term: t, index: index + 1 + i, type: EntryType.EntryNormal, data: EMPTY_BYTES });
    }
    return out;
  }

  /** A valid message of a random wire type at the cluster's current term. */
  private base(v: ClusterView, from: number, to: number): Message {
    const type = this.pick(WIRE_TYPES);
    const term = type === MessageType.MsgProp || type === MessageType.MsgReadIndex ? 0 : v.term;
    const index = Math.max(0, v.commit - this.int(3));
    const logTerm = Math.max(1, v.term - this.int(2));
    const m = createMessage({ type, from, to, term, index, commit: v.commit });
    switch (type) {
      case MessageType.MsgApp:
        m.logTerm = logTerm;
        m.entries = this.entries(index, logTerm, v.term);
        break;
      case MessageType.MsgProp:
      case MessageType.MsgReadIndex:
      case MessageType.MsgReadIndexResp:
        m.entries = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: Uint8Array.of(1, 2, 3) }];
        break;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        m.logTerm = logTerm;
        break;
      case MessageType.MsgSnap:
        m.snapshot = { data: EMPTY_BYTES, metadata: { index: v.commit + 10, term: logTerm, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } };
        break;
      default:
        break;
    }
    return m;
  }

  /** Applies one random mutation to `m`. */
  private mutate(m: Message, v: ClusterView): void {
    switch (this.int(12)) {
      case 0: m.term = this.wild(v); break;
      case 1: m.index = this.wild(v); break;
      case 2: m.logTerm = this.wild(v); break;
      case 3: m.commit = this.wild(v); break;
      case 4: m.reject = true; m.rejectHint = m.index + 1 + this.int(5); break;
      case 5: this.mutateEntries(m, v); break;
      case 6: m.type = this.pick(WIRE_TYPES); break;
      case 7: this.mutateSnapshot(m); break;
      case 8: m.entries = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: new Uint8Array(this.maxProposalBytes + 1) }]; break;
      case 9: m.entries = []; break;
      case 10: m.rejectHint = this.wild(v); break;
      default: {
        const e = m.entries[0];
        if (e !== undefined) e.term = this.wild(v);
        else m.entries = [{ term: this.wild(v), index: this.wild(v), type: EntryType.EntryNormal, data: EMPTY_BYTES }];
      }
    }
  }

  private mutateEntries(m: Message, v: ClusterView): void {
    const es = m.entries.map((e) => ({ ...e }));
    if (es.length === 0) es.push({ term: v.term, index: m.index + 2, type: EntryType.EntryNormal, data: EMPTY_BYTES });
    const i = this.int(es.length);
    switch (this.int(4)) {
      case 0: es[i]!.index += 1 + this.int(3); break;
      case 1: es.reverse(); es.push({ ...es[0]! }); break;
      case 2: es[i]!.term = m.term + 1 + this.int(3); break;
      default: es[i]!.index = Math.max(0, es[i]!.index - 5);
    }
    m.entries = es;
  }

  private mutateSnapshot(m: Message): void {
    const cs = { voters: [1, 2, 3], learners: [] as number[], votersOutgoing: [] as number[], learnersNext: [] as number[], autoLeave: false };
    switch (this.int(5)) {
      case 0: cs.voters = []; cs.learners = [1]; break;
      case 1: cs.voters = [1, 1, 2]; break;
      case 2: cs.learners = [2]; break;
      case 3: cs.learnersNext = [4]; break;
      default: cs.voters = [0, 1];
    }
    m.snapshot = { data: EMPTY_BYTES, metadata: { index: this.pick([0, m.index + 5]), term: this.pick([0, m.term, m.term + 1]), confState: cs } };
  }

  /** Makes a message that would pass the door at the current term stale (see the module comment). */
  private defuse(m: Message, to: number, v: ClusterView): void {
    try {
      checkPeerMessage(m, to, { maxProposalBytes: this.maxProposalBytes });
    } catch {
      return; // the door refuses it
    }
    if (!termStepAllowed(v.term, m.term)) return; // the core refuses it
    m.term = 1;
    m.logTerm = Math.min(m.logTerm, 1);
    for (const e of m.entries) e.term = Math.min(e.term, 1);
    if (m.snapshot !== undefined) m.snapshot.metadata.term = 1;
  }

  /** The next hostile frame from `from` to `to`. */
  next(v: ClusterView, from: number, to: number): HostileFrame {
    const roll = this.int(1000);
    if (roll === 0) return { bytes: Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2, 3), channel: 'close' }; // announces 2 GiB
    if (roll === 1) {
      const full = encodeMessageFrame(createMessage({ type: MessageType.MsgHeartbeat, from, to, term: v.term }));
      const cut = full.subarray(0, 4 + this.int(full.length - 5));
      const framed = encodeFrame(cut.subarray(4)); // a complete frame holding a truncated record
      return { bytes: framed, channel: 'close' };
    }
    if (roll === 2) return { bytes: encodeMessageFrame(createMessage({ type: MessageType.MsgHeartbeat, from: from + 10, to, term: 1 })), channel: 'close' };
    const m = this.base(v, from, to);
    for (let k = 1 + this.int(3); k > 0; k--) this.mutate(m, v);
    this.defuse(m, to, v);
    if (m.type === MessageType.MsgSnap) {
      return roll < 10 ? { bytes: snapshotFrame(m), channel: 'snapshot' } : { bytes: encodeMessageFrame(createMessage({ ...m, type: MessageType.MsgHeartbeat, snapshot: undefined })), channel: 'messages' };
    }
    return { bytes: encodeMessageFrame(m), channel: 'messages' };
  }
}

/** One snapshot-channel chunk frame holding the whole record (flag LAST). */
function snapshotFrame(m: Message): Uint8Array {
  const record = encodeMessage(m);
  const frame = new Uint8Array(4 + 1 + record.length);
  new DataView(frame.buffer).setUint32(0, record.length + 1);
  frame[4] = 1;
  frame.set(record, 5);
  return frame;
}

/** The handshake frame of a connection claiming to be member `from`, dialling `to`. */
export function handshakeFrame(channel: 'messages' | 'snapshot', from: number, to: number, clusterId = 'raftkit'): Uint8Array {
  return encodeFrame(encodeHandshake({ channel: channel === 'messages' ? Channel.Messages : Channel.Snapshot, from, to, clusterId }));
}

/** Counts of what a {@link HostilePeer} sent. */
export interface HostileStats {
  /** Frames sent on message connections. */
  messages: number;
  /** Snapshot connections opened. */
  snapshots: number;
  /** Frames that make the receiver close the connection (garbage, spoofed sender, oversize header). */
  closing: number;
  /** Connections opened. */
  connections: number;
}

/**
 * Sends a {@link HostileMessages} stream to one member at `host:port`, in the name of member
 * `claim`, reconnecting whenever the member closes the connection.
 */
export class HostilePeer {
  /** What was sent so far. */
  readonly stats: HostileStats = { messages: 0, snapshots: 0, closing: 0, connections: 0 };
  private socket: net.Socket | undefined = undefined;
  private readonly gen: HostileMessages;
  private readonly target: { address: string; id: number; claim: number; clusterId?: string };

  /**
   * @param target - the member's `host:port`, id, and the member id the peer claims to be.
   * @param target.address - `host:port`.
   * @param target.id - the member's id.
   * @param target.claim - the id the hostile peer claims in its handshakes.
   * @param target.clusterId - the cluster's id (default `'raftkit'`).
   * @param seed - seeds the messages.
   * @param maxProposalBytes - the member's proposal size limit.
   */
  constructor(target: { address: string; id: number; claim: number; clusterId?: string }, seed: number, maxProposalBytes: number) {
    this.target = target;
    this.gen = new HostileMessages(seed, maxProposalBytes);
  }

  private connect(channel: 'messages' | 'snapshot'): net.Socket {
    const i = this.target.address.lastIndexOf(':');
    const s = net.connect({ host: this.target.address.slice(0, i), port: Number(this.target.address.slice(i + 1)) });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.write(handshakeFrame(channel, this.target.claim, this.target.id, this.target.clusterId));
    this.stats.connections++;
    return s;
  }

  /** Sends `n` hostile frames; resolves once they are written (or dropped with a closed connection). */
  async send(n: number, view: () => ClusterView): Promise<void> {
    const batch: Uint8Array[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      if (this.socket === undefined || this.socket.destroyed) this.socket = this.connect('messages');
      const s = this.socket;
      const ok = s.write(Buffer.concat(batch));
      batch.length = 0;
      if (!ok) await new Promise<void>((r) => { s.once('drain', r); s.once('close', r); });
    };
    for (let i = 0; i < n; i++) {
      const f = this.gen.next(view(), this.target.claim, this.target.id);
      if (f.channel === 'messages') {
        batch.push(f.bytes);
        this.stats.messages++;
        if (batch.length >= 200) {
          await flush();
          await new Promise((r) => setImmediate(r));
        }
        continue;
      }
      await flush();
      if (f.channel === 'snapshot') {
        const s = this.connect('snapshot');
        s.end(f.bytes);
        this.stats.snapshots++;
      } else {
        this.socket ??= this.connect('messages');
        this.socket.write(f.bytes);
        this.socket = undefined; // the member closes it; the next batch dials again
        this.stats.closing++;
      }
    }
    await flush();
  }

  /** Closes the current connection. */
  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
