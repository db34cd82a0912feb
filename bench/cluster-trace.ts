/**
 * Per-stage timestamps of the cluster benchmark's write path (`BENCH_PROFILE=1`): every member
 * stamps, per log index, when the entry went through each stage it saw, on one clock shared by
 * the processes (`performance.timeOrigin + performance.now()`, milliseconds):
 *
 * ```
 * leader    propose → send (MsgApp handed to the transport) → write (socket write) ‖ saveStart → saveEnd
 * follower  recv (MsgApp delivered) → saveStart → saveEnd → send (MsgAppResp handed over) → write
 * leader    recvResp (first acknowledgement) → apply (state machine) → resolved (the proposer resumes)
 * ```
 *
 * {@link stageTable} joins the three members' stamps by index and prints each stage's p50 and
 * p99, so the time a put waits can be split between the disk, the thread pool, the event loop
 * and the network.
 */
import * as net from 'node:net';
import { MessageType, type Message } from '../src/raft/messages.js';
import type { SaveRequest, Storage, Transport } from '../src/index.js';
import { percentile } from './util.js';

/** The stages stamped (see the module comment). */
export type Stage = 'propose' | 'send' | 'write' | 'saveStart' | 'saveEnd' | 'recv' | 'recvResp' | 'apply' | 'resolved';

/** One index's stamps on one member. */
export type Stamps = Partial<Record<Stage, number>> & { index: number; respFrom?: number };

const MAX_ROWS = 100_000;

/** The absolute time in milliseconds, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Collects one member's stamps while `on`. */
export class Tracer {
  on = false;
  readonly rows = new Map<number, Stamps>();
  #unwritten: number[] = [];

  /** Stamps `stage` of `index` (the first time only). */
  mark(index: number, stage: Stage, t = wallNow()): Stamps | undefined {
    if (!this.on) return undefined;
    let r = this.rows.get(index);
    if (r === undefined) {
      if (this.rows.size >= MAX_ROWS) return undefined;
      r = { index };
      this.rows.set(index, r);
    }
    if (r[stage] === undefined) r[stage] = t;
    return r;
  }

  /** Clears the stamps and starts collecting. */
  start(): void {
    this.rows.clear();
    this.#unwritten = [];
    this.on = true;
  }

  /** Stamps what the transport was handed; the next socket write stamps `write`. */
  sent(messages: readonly Message[]): void {
    if (!this.on) return;
    for (const m of messages) {
      if (m.type === MessageType.MsgApp) {
        for (const e of m.entries) {
          this.mark(e.index, 'send');
          this.#unwritten.push(e.index);
        }
      } else if (m.type === MessageType.MsgAppResp && !m.reject) {
        this.mark(m.index, 'send');
        this.#unwritten.push(m.index);
      }
    }
  }

  /** A socket write happened: every index sent since the last one went out in it. */
  written(): void {
    if (this.#unwritten.length === 0) return;
    const t = wallNow();
    for (const i of this.#unwritten) this.mark(i, 'write', t);
    this.#unwritten = [];
  }

  /** A message was delivered to this member. */
  received(m: Message): void {
    if (!this.on) return;
    if (m.type === MessageType.MsgApp) for (const e of m.entries) this.mark(e.index, 'recv');
    else if (m.type === MessageType.MsgAppResp && !m.reject) {
      const r = this.rows.get(m.index);
      if (r?.recvResp === undefined) {
        const s = this.mark(m.index, 'recvResp');
        if (s !== undefined) s.respFrom = m.from;
      }
    }
  }
}

/** Hooks `tracer` into a storage's saves, a transport's sends and deliveries and every socket write of the process. */
export function traceMember(tracer: Tracer, storage: Storage, transport: Transport): void {
  const save = storage.save.bind(storage);
  (storage as { save: Storage['save'] }).save = async (req: SaveRequest) => {
    for (const e of req.entries) tracer.mark(e.index, 'saveStart');
    await save(req);
    for (const e of req.entries) tracer.mark(e.index, 'saveEnd');
  };
  const send = transport.send.bind(transport);
  transport.send = (messages) => {
    tracer.sent(messages);
    send(messages);
  };
  transport.on('message', (m) => tracer.received(m));
  const proto = net.Socket.prototype as unknown as { write: (this: net.Socket, ...args: unknown[]) => boolean };
  const write = proto.write;
  proto.write = function (this: net.Socket, ...args: unknown[]): boolean {
    tracer.written();
    return write.apply(this, args);
  };
}

const STAGES: [string, (l: Stamps, f: Stamps) => number][] = [
  ['leader: propose → MsgApp handed to transport', (l) => l.send! - l.propose!],
  ['leader: handed → socket write', (l) => l.write! - l.send!],
  ['leader: propose → own save start', (l) => l.saveStart! - l.propose!],
  ['leader: own save (pwrite O_DSYNC / batch)', (l) => l.saveEnd! - l.saveStart!],
  ['net: leader write → follower delivery', (l, f) => f.recv! - l.write!],
  ['follower: delivery → save start', (_, f) => f.saveStart! - f.recv!],
  ['follower: save', (_, f) => f.saveEnd! - f.saveStart!],
  ['follower: save end → MsgAppResp handed', (_, f) => f.send! - f.saveEnd!],
  ['follower: handed → socket write', (_, f) => f.write! - f.send!],
  ['net: follower write → leader delivery', (l, f) => l.recvResp! - f.write!],
  ['leader: commit (ack and own save) → apply', (l) => l.apply! - Math.max(l.recvResp!, l.saveEnd!)],
  ['leader: apply → proposer resumes', (l) => l.resolved! - l.apply!],
  ['total: propose → proposer resumes', (l) => l.resolved! - l.propose!],
];

/**
 * Joins the leader's stamps with those of the follower whose acknowledgement came first, per
 * index, and renders p50/p99 of each stage (ms), one line each.
 */
export function stageTable(leader: Stamps[], followers: Map<number, Stamps[]>): string[] {
  const byMember = new Map([...followers].map(([id, rows]) => [id, new Map(rows.map((r) => [r.index, r]))]));
  const joined: [Stamps, Stamps][] = [];
  for (const l of leader) {
    if (l.propose === undefined || l.resolved === undefined || l.respFrom === undefined) continue;
    const f = byMember.get(l.respFrom)?.get(l.index);
    if (f !== undefined) joined.push([l, f]);
  }
  const out = [`per-stage (ms, ${joined.length} puts joined by index; the follower is the first to acknowledge):`];
  for (const [name, fn] of STAGES) {
    const xs = joined.map(([l, f]) => fn(l, f)).filter((x) => Number.isFinite(x));
    out.push(`  ${name.padEnd(48)} p50 ${percentile(xs, 50).toFixed(3).padStart(7)}  p99 ${percentile(xs, 99).toFixed(3).padStart(7)}  (n=${xs.length})`);
  }
  return out;
}
