import { decodeConfChange, decodeConfChangeV2 } from '../../src/raft/conf-change.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { describeMessage, describeReady } from '../../src/raft/describe.js';
import { EntryType, emptyConfState, isEmptySnapshot, type ConfState, type Snapshot } from '../../src/raft/entry.js';
import { MemoryStorage } from '../../src/raft/log-storage.js';
import type { Logger } from '../../src/raft/logger.js';
import type { Message } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/raft-node.js';

/**
 * An in-process environment for scripted multi-node scenarios (etcd's rafttest
 * InteractionEnv): RaftNodes over MemoryStorage, a message queue the script delivers
 * explicitly, and a captured log so the golden output shows what raft itself said.
 * Command handlers live in interaction-handlers.ts; this file holds the state and the
 * Ready handling they share.
 *
 * Determinism: node ids are 1..n in creation order, each node's PRNG is seeded with its id,
 * and nothing reads a clock.
 */

/** Log levels, lowest first; `none` silences raft's log. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One node of an {@link InteractionEnv}. */
export interface EnvNode {
  id: number;
  node: RaftNode;
  storage: MemoryStorage;
  /** The config the node was created with (reused on restart). */
  config: Omit<RaftConfig, 'id' | 'storage' | 'applied' | 'logger'>;
  /** The configuration as of the last applied conf change or snapshot. */
  confState: ConfState;
  /** The last index the application applied (what a restart resumes from). */
  applied: number;
}

/** Collects output with etcd-style indentation. */
export class Output {
  private readonly lines: string[] = [];
  private indent = 0;
  /** When set (log level `none`), everything written is discarded, as with etcd's `log-level none`. */
  quiet = false;

  /** Appends one or more lines (a multi-line string is split) at the current indentation. */
  write(s: string): void {
    if (s === '' || this.quiet) return;
    const pad = '  '.repeat(this.indent);
    for (const l of s.split('\n')) this.lines.push(pad + l);
  }

  /** Runs `fn` with output indented one more level. */
  indented(fn: () => void): void {
    this.indent++;
    try {
      fn();
    } finally {
      this.indent--;
    }
  }

  /** Returns and clears everything written. */
  take(): string {
    const s = this.lines.join('\n');
    this.lines.length = 0;
    this.indent = 0;
    return s;
  }
}

/** The environment: nodes, the undelivered messages, and the captured output. */
export class InteractionEnv {
  readonly nodes = new Map<number, EnvNode>();
  /** Messages sent and not yet delivered, in send order. */
  messages: Message[] = [];
  /** Nodes whose links are cut: messages from or to them are discarded when sent. */
  readonly isolated = new Set<number>();
  readonly out = new Output();
  private level: LogLevel = 'info';

  /** The log level; `none` also silences the command output (for quiet setup stanzas). */
  get logLevel(): LogLevel {
    return this.level;
  }

  set logLevel(l: LogLevel) {
    this.level = l;
    this.out.quiet = l === 'none';
  }

  /** A logger that writes raft's own lines into the output, filtered by {@link logLevel}. */
  logger(): Logger {
    const at = (lvl: LogLevel) => (msg: string) => {
      if (LOG_LEVELS.indexOf(lvl) >= LOG_LEVELS.indexOf(this.logLevel)) this.out.write(`${lvl.toUpperCase()} ${msg}`);
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  /** The node with this id; throws for an unknown id. */
  get(id: number): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Ids of all nodes, ascending. */
  ids(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /** Creates (or recreates, on restart) the RaftNode for `id` over `storage`. */
  makeNode(id: number, storage: MemoryStorage, config: EnvNode['config'], applied: number, confState: ConfState): EnvNode {
    const node = new RaftNode({ ...config, id, storage, applied, logger: this.logger() });
    const n: EnvNode = { id, node, storage, config, confState, applied };
    this.nodes.set(id, n);
    return n;
  }

  /**
   * Adds `count` nodes with consecutive ids. With `snap` (voters given), each starts from
   * that snapshot (index > 0) or from an empty log with that configuration (index 0);
   * otherwise the log and configuration are empty (the node waits for a snapshot).
   */
  addNodes(count: number, config: EnvNode['config'], snap: Snapshot | undefined): void {
    for (let k = 0; k < count; k++) {
      const id = this.nodes.size === 0 ? 1 : Math.max(...this.nodes.keys()) + 1;
      let storage: MemoryStorage;
      let applied = 0;
      let confState = emptyConfState();
      if (snap === undefined) {
        storage = new MemoryStorage();
      } else if (snap.metadata.index === 0) {
        storage = new MemoryStorage({ voters: snap.metadata.confState.voters, learners: snap.metadata.confState.learners });
        confState = snap.metadata.confState;
      } else {
        storage = new MemoryStorage();
        storage.applySnapshot(snap);
        applied = snap.metadata.index;
        confState = snap.metadata.confState;
      }
      this.makeNode(id, storage, { seed: id, ...config }, applied, confState);
    }
  }

  /** Handles one Ready of node `id` (persist, send, apply, advance), printing it. Returns false when there was none. */
  processReady(id: number): boolean {
    const n = this.get(id);
    if (!n.node.hasReady()) return false;
    const rd = n.node.ready();
    this.out.write(`Ready MustSync=${String(rd.mustSync)}:`);
    this.out.write(describeReady(rd));
    // 1. persist
    if (rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot)) {
      n.storage.applySnapshot(rd.snapshot);
      n.confState = rd.snapshot.metadata.confState;
      n.applied = rd.snapshot.metadata.index;
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    // 2. send (links of isolated nodes drop everything)
    let cut = 0;
    for (const m of [...rd.messages, ...rd.persistedMessages]) {
      if (this.isolated.has(m.from) || this.isolated.has(m.to)) cut++;
      else this.messages.push(m);
    }
    if (cut > 0) this.out.write(`(isolation dropped ${cut} message${cut === 1 ? '' : 's'})`);
    // 3. apply
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryConfChange) n.confState = n.node.applyConfChange(decodeConfChange(e.data));
      else if (e.type === EntryType.EntryConfChangeV2) n.confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
      n.applied = e.index;
    }
    // Like etcd's env, the storage's snapshot follows the applied state (with the applied
    // configuration), so a follower that needs one gets an up-to-date snapshot. The log
    // is only compacted by the `compact` command.
    if (n.applied > n.storage.snapshot().metadata.index) n.storage.createSnapshot(n.applied, n.confState, new Uint8Array(0));
    // 4. advance
    n.node.advance(rd);
    return true;
  }

  /** Whether any undelivered message is addressed to `id`. */
  hasMessagesFor(id: number): boolean {
    return this.messages.some((m) => m.to === id);
  }

  /**
   * Delivers (or, with `drop`, discards) every queued message addressed to `id`, in order,
   * printing each. Step errors are printed, not thrown. Returns how many there were.
   */
  deliverMsgs(id: number, drop = false): number {
    const mine = this.messages.filter((m) => m.to === id);
    this.messages = this.messages.filter((m) => m.to !== id);
    for (const m of mine) {
      if (drop) {
        this.out.write(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.out.write(describeMessage(m));
      const n = this.nodes.get(id);
      if (n === undefined) continue;
      try {
        n.node.step(m);
      } catch (err) {
        this.out.write(describeError(err));
      }
    }
    return mine.length;
  }

  /**
   * Handles Readies and delivers messages among `ids` (all nodes when empty) until
   * nothing changes, printing each step as etcd's `stabilize` does.
   */
  stabilize(ids: number[]): void {
    const which = ids.length > 0 ? ids : this.ids();
    for (let round = 0; ; round++) {
      if (round > 1000) throw new Error('stabilize did not converge');
      let done = true;
      for (const id of which) {
        if (!this.get(id).node.hasReady()) continue;
        this.out.write(`> ${id} handling Ready`);
        this.out.indented(() => this.processReady(id));
        done = false;
      }
      for (const id of which) {
        if (!this.hasMessagesFor(id)) continue;
        this.out.write(`> ${id} receiving messages`);
        this.out.indented(() => this.deliverMsgs(id));
        done = false;
      }
      if (done) return;
    }
  }
}

/** One line for an error thrown by the node: its code (when it has one) and message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `error: ${code}: ${err.message}` : `error: ${err.message}`;
  }
  return `error: ${String(err)}`;
}
