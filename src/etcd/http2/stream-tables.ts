/**
 * Keeps the stream tables of Node's HTTP/2 server sessions young.
 * @module
 */
import type { Http2Session, ServerHttp2Stream } from 'node:http2';

/** The part of a Node HTTP/2 session's internal state this module touches. */
interface SessionState {
  streams: Map<number, unknown>;
}

/** Whether `v` is a Map (Node's internal `SafeMap` is one, though not `instanceof Map`). */
function isMapLike(v: unknown): v is Map<number, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Partial<Map<number, unknown>>;
  return typeof m.get === 'function' && typeof m.set === 'function' && typeof m.delete === 'function' && typeof m.size === 'number' && typeof v.constructor === 'function';
}

/**
 * The internal state holding `session`'s table of open streams, where Node 20 keeps it
 * (`session[kState].streams`, `kState` a symbol described `'state'`); undefined elsewhere.
 */
function stateOf(session: Http2Session): SessionState | undefined {
  for (const key of Object.getOwnPropertySymbols(session)) {
    if (key.description !== 'state') continue;
    const state = (session as unknown as Record<symbol, unknown>)[key];
    if (typeof state === 'object' && state !== null && isMapLike((state as Partial<SessionState>).streams)) return state as SessionState;
  }
  return undefined;
}

/**
 * Moves the open streams of each HTTP/2 session to a new table every `every` streams the
 * session opens, for the reason {@link ChurnMap} gives: Node keeps a session's open streams in
 * a Map, one entry added and deleted per call, and once a full collection has moved that Map's
 * table to the old generation, every replaced table keeps the streams it held, and all that they
 * reach (the call, its request and its response), alive through the scavenges until the next
 * full collection. Under puts at 64 in flight this made a member promote a few KB per call.
 *
 * The table is Node's own, reached through its internal state: when a session has no such table
 * (a Node that keeps it elsewhere), nothing is done for it ({@link StreamTables.supported} turns
 * false; a test checks that this Node's sessions have it). The move happens when the server emits `stream`, a turn after Node's code that
 * adds the stream, and copies the open streams (at most the session's concurrent streams).
 *
 * Invariant: a session's table holds the same streams, in the same order, before and after a move.
 * @internal
 */
export class StreamTables {
  readonly #every: number;
  #renewals = 0;
  #supported = true;

  /** @param every - the streams a session opens between two moves of its table (default 256). */
  constructor(every = 256) {
    this.#every = every;
  }

  /** How many tables were moved (for tests and diagnostics). */
  get renewals(): number {
    return this.#renewals;
  }

  /** False once a session was found without the table where Node keeps it. */
  get supported(): boolean {
    return this.#supported;
  }

  /**
   * Moves the table of `stream`'s session every `every` streams the session opens: the client
   * numbers its streams 1, 3, 5, ..., so the stream's id says how many came before it.
   */
  opened(stream: ServerHttp2Stream): void {
    const id = stream.id;
    if (id === undefined || (id >>> 1) % this.#every !== 0) return;
    const session = stream.session;
    if (session === undefined || session.destroyed) return;
    const state = stateOf(session);
    if (state === undefined) {
      this.#supported = false;
      return;
    }
    const Table = state.streams.constructor as new (entries: Iterable<[number, unknown]>) => Map<number, unknown>;
    state.streams = new Table(state.streams);
    this.#renewals++;
  }
}
