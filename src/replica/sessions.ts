import type { RequestId } from './envelope.js';

/** The bounds of a {@link SessionTable}; the same on every member (see the table's rules). */
export interface SessionLimits {
  /** Seqs remembered below the highest applied one, per session; a multiple of 32. Default 4096. */
  window: number;
  /** Sessions (incarnations) kept per proposer, newest by first appearance. Default 4. */
  incarnations: number;
  /** Retired (evicted or removed) session ids remembered, over all proposers. Default 256. */
  retired: number;
}

/** The limits every replica uses (they must be the same on every member; see {@link SessionLimits}). */
export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = { window: 4096, incarnations: 4, retired: 256 };

interface Session {
  incarnation: number;
  /** The highest applied seq, or `-Infinity` before the first. */
  high: number;
  /** Bit `seq mod window` is set when `seq` in `(high − window, high]` was applied. */
  bits: Uint32Array;
}

/** A retired session's id. */
type SessionId = Omit<RequestId, 'seq'>;

const VERSION = 1;

/**
 * Client sessions (Raft thesis §6.3): the table that makes each command apply exactly once.
 *
 * Every command entry carries the id of the request that proposed it, `(proposer,
 * incarnation, seq)` (see `envelope.ts`). The same request can reach the log more than once:
 * the network may deliver a forwarded `MsgProp` twice, and the leader appends each copy. The
 * applier asks the table about every command entry, in log order, and hands only the first
 * copy of each request to the state machine; later copies are dropped.
 *
 * Determinism: the decision for an entry depends only on the entries before it in the log and
 * on the table in the snapshot the log starts from, never on local state (pending requests,
 * time). Every member therefore keeps and drops exactly the same entries. For the same reason
 * the limits are constants of the code ({@link DEFAULT_SESSION_LIMITS}), not replica options.
 *
 * Bounded memory, and the rules that come with it (`W` = {@link SessionLimits.window},
 * `I` = {@link SessionLimits.incarnations}, `T` = {@link SessionLimits.retired}):
 * - Per (proposer, incarnation) the table keeps the highest applied seq `high` and a bitmap of
 *   the applied seqs in `(high − W, high]`. A seq above `high` is new. A seq inside the window
 *   is new unless its bit is set. A seq at or below `high − W` is treated as already applied
 *   and dropped, although it may never have been applied. (Seqs count every request of an
 *   incarnation: proposals, reads and membership changes.)
 * - Per proposer the table keeps the `I` newest incarnations, ordered by their first
 *   appearance in the log. When a new incarnation appears and the proposer then has more than
 *   `I`, the oldest is evicted: its session is forgotten and `(proposer, incarnation)` is
 *   retired.
 * - When the removal of a member is applied, all its sessions are retired ({@link
 *   SessionTable.removeProposer}).
 * - Retired ids are kept in a FIFO of at most `T` (over all proposers). A command of a retired
 *   id is dropped. A command of an unknown incarnation that is not retired opens a new session.
 *   So a late duplicate of an evicted or removed session is dropped as long as its id is
 *   among the `T` newest retired ones; beyond that it would be taken for a new incarnation.
 *
 * Why dropping is safe: a dropped command never reaches the state machine, so its proposer
 * never gets a result from it. It gets no "ok" for it, and its request times out (outcome
 * unknown), which a client must already handle. Raft never promised to apply a command whose
 * proposal it could not confirm. A request is dropped wrongly only when it is committed more
 * than `W` seqs after its proposer's highest applied seq, or after its incarnation was
 * evicted (more than `I` newer incarnations of its proposer had commands committed).
 *
 * Invariant: the table is a function of the log prefix it has seen (and the snapshot it was
 * restored from), and it goes into every snapshot the replica takes, at the same index as the
 * state machine's snapshot.
 *
 * Encoding (big-endian): version (u8, 1), window (u32), session count (u32), then per session
 * proposer (f64), incarnation (u32), high (f64), and the bitmap (window / 8 bytes); then the
 * retired count (u32) and per retired id proposer (f64), incarnation (u32). Sessions are
 * written per proposer, oldest incarnation first, so the order survives a round trip.
 */
export class SessionTable {
  private readonly limits: SessionLimits;
  private readonly sessions = new Map<number, Session[]>();
  private readonly retiredIds: SessionId[] = [];
  private readonly retiredKeys = new Set<string>();

  /** @param limits - overrides of {@link DEFAULT_SESSION_LIMITS} (for tests). */
  constructor(limits: Partial<SessionLimits> = {}) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    const w = this.limits.window;
    if (!Number.isInteger(w) || w <= 0 || w % 32 !== 0) throw new RangeError('SessionLimits.window must be a positive multiple of 32');
  }

  /** The number of live sessions. */
  get size(): number {
    let n = 0;
    for (const list of this.sessions.values()) n += list.length;
    return n;
  }

  /** The number of retired ids remembered. */
  get retiredCount(): number {
    return this.retiredIds.length;
  }

  /**
   * Records the command of request `id`, in log order. Returns `true` when it is the first
   * copy (the state machine must apply it) and `false` when it must be dropped (a duplicate,
   * a seq below the window, or a retired session).
   */
  maybeApply(id: RequestId): boolean {
    const s = this.session(id.proposer, id.incarnation);
    if (s === undefined) return false;
    const w = this.limits.window;
    if (id.seq > s.high) {
      this.advance(s, id.seq);
      return true;
    }
    if (id.seq <= s.high - w) return false;
    const bit = mod(id.seq, w);
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    if ((s.bits[word]! & mask) !== 0) return false;
    s.bits[word] = s.bits[word]! | mask;
    return true;
  }

  /** Retires every session of `proposer` (its removal from the cluster was applied). */
  removeProposer(proposer: number): void {
    const list = this.sessions.get(proposer);
    if (list === undefined) return;
    this.sessions.delete(proposer);
    for (const s of list) this.retire(proposer, s.incarnation);
  }

  /** Replaces the whole table with `other`'s content (a snapshot was restored). */
  reset(other: SessionTable): void {
    this.sessions.clear();
    this.retiredIds.length = 0;
    this.retiredKeys.clear();
    this.limits.window = other.limits.window;
    for (const [p, list] of other.sessions) this.sessions.set(p, list.map((s) => ({ ...s, bits: s.bits.slice() })));
    for (const r of other.retiredIds) this.retire(r.proposer, r.incarnation);
  }

  /** Encodes the table for a snapshot (see the class comment for the layout). */
  encode(): Uint8Array {
    const w = this.limits.window;
    const sessionSize = 8 + 4 + 8 + w / 8;
    const out = new Uint8Array(1 + 4 + 4 + this.size * sessionSize + 4 + this.retiredIds.length * 12);
    const dv = new DataView(out.buffer);
    out[0] = VERSION;
    dv.setUint32(1, w);
    dv.setUint32(5, this.size);
    let off = 9;
    for (const [p, list] of this.sessions) {
      for (const s of list) {
        dv.setFloat64(off, p);
        dv.setUint32(off + 8, s.incarnation);
        dv.setFloat64(off + 12, s.high);
        off += 20;
        for (const word of s.bits) {
          dv.setUint32(off, word);
          off += 4;
        }
      }
    }
    dv.setUint32(off, this.retiredIds.length);
    off += 4;
    for (const r of this.retiredIds) {
      dv.setFloat64(off, r.proposer);
      dv.setUint32(off + 8, r.incarnation);
      off += 12;
    }
    return out;
  }

  /**
   * Decodes a table written by {@link SessionTable.encode}. An empty input is an empty table.
   *
   * @throws RangeError when `bytes` is not a session table.
   */
  static decode(bytes: Uint8Array, limits: Partial<SessionLimits> = {}): SessionTable {
    if (bytes.length === 0) return new SessionTable(limits);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const need = (off: number, n: number): void => {
      if (off + n > bytes.length) throw new RangeError('truncated session table');
    };
    need(0, 9);
    if (bytes[0] !== VERSION) throw new RangeError(`unknown session table version ${bytes[0]}`);
    const t = new SessionTable({ ...limits, window: dv.getUint32(1) });
    const w = t.limits.window;
    const count = dv.getUint32(5);
    let off = 9;
    for (let i = 0; i < count; i++) {
      need(off, 20 + w / 8);
      const p = dv.getFloat64(off);
      const s: Session = { incarnation: dv.getUint32(off + 8), high: dv.getFloat64(off + 12), bits: new Uint32Array(w / 32) };
      off += 20;
      for (let j = 0; j < s.bits.length; j++, off += 4) s.bits[j] = dv.getUint32(off);
      const list = t.sessions.get(p);
      if (list === undefined) t.sessions.set(p, [s]);
      else list.push(s);
    }
    need(off, 4);
    const retired = dv.getUint32(off);
    off += 4;
    need(off, retired * 12);
    for (let i = 0; i < retired; i++, off += 12) t.retire(dv.getFloat64(off), dv.getUint32(off + 8));
    return t;
  }

  /** The session of `(proposer, incarnation)`, opening it if new; `undefined` when retired. */
  private session(proposer: number, incarnation: number): Session | undefined {
    const list = this.sessions.get(proposer);
    const found = list?.find((s) => s.incarnation === incarnation);
    if (found !== undefined) return found;
    if (this.retiredKeys.has(key(proposer, incarnation))) return undefined;
    const s: Session = { incarnation, high: -Infinity, bits: new Uint32Array(this.limits.window / 32) };
    if (list === undefined) this.sessions.set(proposer, [s]);
    else {
      list.push(s);
      while (list.length > this.limits.incarnations) this.retire(proposer, list.shift()!.incarnation);
    }
    return s;
  }

  /** Moves the window up to `seq` (clearing the bits that fall out of it) and marks `seq`. */
  private advance(s: Session, seq: number): void {
    const w = this.limits.window;
    if (seq - s.high >= w) s.bits.fill(0);
    else {
      for (let x = s.high + 1; x < seq; x++) {
        const bit = mod(x, w);
        s.bits[bit >>> 5] = s.bits[bit >>> 5]! & ~(1 << (bit & 31));
      }
    }
    const bit = mod(seq, w);
    s.bits[bit >>> 5] = s.bits[bit >>> 5]! | (1 << (bit & 31));
    s.high = seq;
  }

  private retire(proposer: number, incarnation: number): void {
    const k = key(proposer, incarnation);
    if (this.retiredKeys.has(k)) return;
    this.retiredIds.push({ proposer, incarnation });
    this.retiredKeys.add(k);
    while (this.retiredIds.length > this.limits.retired) {
      const old = this.retiredIds.shift()!;
      this.retiredKeys.delete(key(old.proposer, old.incarnation));
    }
  }
}

function key(proposer: number, incarnation: number): string {
  return `${proposer}/${incarnation}`;
}

function mod(x: number, w: number): number {
  return ((x % w) + w) % w;
}
