import { LinearizedSet } from './bitset.js';
import { ConfigurationCache, StateTable } from './configuration-cache.js';
import { EventList, NIL, relink, unlink } from './event-list.js';
import type { BudgetExhaustion, SearchBudget } from './budget.js';
import { formatValue } from './explain.js';
import type { Model } from './model.js';
import type { SearchOperation } from './operation.js';
import { prepareOperations } from './prepare.js';
import { releaseScratch, SLOT, takeScratch, type Scratch } from './scratch.js';

/** The verdict of one search. */
export type SearchOutcome = 'linearizable' | 'violation' | BudgetExhaustion;

/** What {@link searchLinearization} found. */
export interface SearchResult {
  /** The verdict. */
  readonly outcome: SearchOutcome;
  /**
   * On a violation: the return time the search could never get past. The history cut
   * there (operations returning by then required, the ones still running unknown) is
   * the shortest non-linearizable prefix. `-Infinity` otherwise.
   */
  readonly frontier: number;
  /** On a violation the model proved without searching: the index (in the input) of the impossible operation. */
  readonly impossible?: number;
}


/**
 * Decides whether `ops` is linearizable with respect to `model`: Wing & Gong's search
 * with Lowe's just-in-time linearization and state caching (as Porcupine and Knossos
 * do), after {@link prepareOperations} (the model's simplification, canonical order).
 *
 * At each configuration the candidates are the operations called before the first
 * pending return. They are tried in three phases: (A) pure operations
 * ({@link Model.isPure}), which are linearized as soon as the model accepts them, with no
 * alternative explored, since moving a state-preserving operation earlier never breaks a
 * linearization; (B) the other required operations, in call order; (C) unknown-outcome
 * operations, last, since they are never needed to get past a return unless they write
 * what some required operation needs. Linearizing one lifts it out of the event list,
 * pushes the old state, and restarts at (A); running out of candidates pops the last
 * choice and tries the next one after it. The stack is explicit: histories can be far
 * deeper than the JS stack.
 */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  input: readonly SearchOperation<Input, Output>[],
  budget: SearchBudget,
): SearchResult {
  const prepared = prepareOperations(model, input);
  if (prepared.impossible) return { outcome: 'violation', frontier: input[prepared.index]!.return, impossible: prepared.index };
  return searchPrepared(model, prepared.operations, budget, prepared.before);
}

/**
 * {@link searchLinearization} over operations {@link prepareOperations} already readied
 * (or at least in call order). `findTwins: false` skips looking for interchangeable
 * operations (a pruning that pays only when there is backtracking to prune).
 */
export function searchPrepared<State, Input, Output>(
  model: Model<State, Input, Output>,
  ops: readonly SearchOperation<Input, Output>[],
  budget: SearchBudget,
  before: readonly (readonly [SearchOperation<Input, Output>, SearchOperation<Input, Output>])[] = [],
  findTwins = true,
): SearchResult {
  let req = ops;
  const unk: SearchOperation<Input, Output>[] = [];
  // Most often every operation is required: then `ops` serves as is.
  let required = 0;
  for (const op of ops) if (op.required) required++;
  if (required < ops.length) {
    const some: SearchOperation<Input, Output>[] = [];
    for (const op of ops) (op.required ? some : unk).push(op);
    req = some;
  }
  if (required === 0) return { outcome: 'linearizable', frontier: -Infinity };
  const scratch = takeScratch();
  try {
    return new Search(model, req, unk, budget, before, findTwins, scratch).run();
  } finally {
    releaseScratch(scratch);
  }
}

/** One run of the search over prepared operations; see {@link searchLinearization}. */
class Search<State, Input, Output> {
  private readonly events: EventList;
  private readonly set: LinearizedSet;
  private readonly cache: ConfigurationCache;
  private readonly states: StateTable<State>;
  private readonly pure: Uint8Array;
  /** The unknown operations not linearized, as a linked list in call order; index `unk.length` is the sentinel. */
  private readonly unkNext: Int32Array;
  private readonly unkPrev: Int32Array;
  private readonly base: number;
  /**
   * For unknown operation `j`: the previous unknown one with the same input object, or NIL.
   * Identical unknown operations are interchangeable, and the earlier-called one can
   * stand in for a later one, so they are linearized in call order only.
   */
  private readonly prevSame: Int32Array;
  /**
   * For required operation `i`: the previous one with the same input object and output that
   * also returns no later, or NIL. Such a twin can take the earlier place of the two in
   * any linearization, so it is linearized first.
   */
  private readonly prevSameReq: Int32Array;
  /** For required operation `i`: the ones that must be linearized before it (from the model's simplification); `undefined` when there are none at all. */
  private readonly preds: readonly (readonly number[] | undefined)[] | undefined;
  /**
   * The stack of linearized operations, one entry per depth (at most one per operation):
   * the operation, the state and state id before it, its phase (0: forced in phase A,
   * 1: a required choice in phase B, 2: an unknown choice in phase C), and for a choice
   * its configuration's candidates (where they start in `cands`, and how many), its index
   * among them and the configuration's limit.
   */
  private depth = 0;
  private readonly stackOp: Int32Array;
  private readonly stackState: State[] = [];
  private readonly stackSid: Int32Array;
  private readonly stackPhase: Uint8Array;
  private readonly stackLimit: Float64Array;
  private readonly stackStart: Int32Array;
  private readonly stackCount: Int32Array;
  private readonly stackK: Int32Array;
  /** What {@link Search.popChoice} undid last: the choice's operation, phase, candidates, index and limit. */
  private readonly popped = { id: 0, phase: 0, start: 0, count: 0, k: 0, limit: 0 };
  /**
   * The candidates of configurations, as a stack: those of each choice on the stack, in
   * stack order, then (from `candTop`) those of the configuration being explored.
   */
  private cands: Int32Array;
  private candTop = 0;
  private state: State;
  private sid: number;
  private remaining: number;
  private readonly model: Model<State, Input, Output>;
  private readonly req: readonly SearchOperation<Input, Output>[];
  private readonly unk: readonly SearchOperation<Input, Output>[];
  private readonly budget: SearchBudget;

  constructor(
    model: Model<State, Input, Output>,
    req: readonly SearchOperation<Input, Output>[],
    unk: readonly SearchOperation<Input, Output>[],
    budget: SearchBudget,
    before: readonly (readonly [SearchOperation<Input, Output>, SearchOperation<Input, Output>])[],
    findTwins: boolean,
    scratch: Scratch,
  ) {
    this.preds = predecessors(req, before);
    const capacity = req.length + unk.length;
    const { int32, float64, uint8 } = SLOT;
    // The stack's arrays are written before they are read.
    this.stackOp = scratch.int32(int32.stackOp, capacity);
    this.stackSid = scratch.int32(int32.stackSid, capacity);
    this.stackPhase = scratch.zeroUint8(uint8.stackPhase, capacity);
    this.stackLimit = scratch.float64(float64.stackLimit, capacity);
    this.stackK = scratch.int32(int32.stackK, capacity);
    this.stackStart = scratch.int32(int32.stackStart, capacity);
    this.stackCount = scratch.int32(int32.stackCount, capacity);
    this.cands = scratch.int32(int32.cands, 2 * req.length + 16);
    this.model = model;
    this.req = req;
    this.unk = unk;
    this.budget = budget;
    this.events = new EventList(req, scratch);
    this.set = new LinearizedSet(req.length, unk.length, scratch);
    this.cache = new ConfigurationCache(2 * capacity, scratch);
    this.base = this.set.unknownBase;
    this.states = new StateTable((s) => model.hash(s), model.equal?.bind(model));
    const n = unk.length;
    // The unknown operations 0 .. n-1 in a list headed by the sentinel n: n -> 0 -> 1 -> ... -> n-1.
    this.unkNext = scratch.int32(int32.unkNext, n + 1);
    this.unkPrev = scratch.int32(int32.unkPrev, n + 1);
    for (let i = 0; i <= n; i++) {
      this.unkNext[i] = i === n ? (n > 0 ? 0 : NIL) : i + 1 < n ? i + 1 : NIL;
      this.unkPrev[i] = i === 0 ? n : i === n ? NIL : i - 1;
    }
    this.pure = scratch.zeroUint8(uint8.pure, req.length);
    if (model.isPure !== undefined) for (let i = 0; i < req.length; i++) if (model.isPure(req[i]!.input, req[i]!.output)) this.pure[i] = 1;
    this.prevSame = scratch.int32(int32.prevSame, unk.length).fill(NIL);
    this.prevSameReq = scratch.int32(int32.prevSameReq, req.length).fill(NIL);
    if (findTwins) {
      twins(unk, this.prevSame, anyOrder);
      // Pure operations are forced, never chosen, so they need no twins.
      twins(req, this.prevSameReq, returnsNoLater, this.pure);
    }
    this.state = model.init();
    this.sid = this.states.idOf(this.state);
    this.remaining = req.length;
  }

  run(): SearchResult {
    const { next, isCall, opOf, time, head, returnOf } = this.events;
    const { unkNext, pure } = this;
    const sentinel = this.unk.length;
    let frontier = -Infinity;
    for (;;) {
      // Phase A: force the first pure candidate the model accepts; collect the others.
      let cands = this.cands;
      let start = this.candTop;
      let count = 0;
      let dead = false;
      let forced = false;
      let e = next[head]!;
      for (; e !== NIL && isCall[e] === 1; e = next[e]!) {
        const id = opOf[e]!;
        if (pure[id] === 0) {
          if (start + count === cands.length) cands = this.growCandidates();
          // Kept in deadline order (return events are in time order, ties by operation): insertion, as lists are short.
          let k = start + count;
          const rank = returnOf[id]!;
          for (; k > start && returnOf[cands[k - 1]!]! > rank; k--) cands[k] = cands[k - 1]!;
          cands[k] = id;
          count++;
          continue;
        }
        const r = this.attempt(id, 0, 0, 0, 0, 0);
        if (typeof r === 'string') return { outcome: r, frontier };
        // A forced operation that leads only to a configuration already explored: so does this one.
        dead = r === SEEN;
        forced = r === PUSHED;
        if (dead || forced) break;
      }
      if (forced) {
        if (this.remaining === 0) return { outcome: 'linearizable', frontier };
        continue;
      }
      let limit = e === NIL ? Infinity : time[e]!;
      if (!dead && limit > frontier) frontier = limit;
      // Phase B: the other required candidates, earliest deadline first; phase C: unknown ones.
      let k = 0;
      let u = dead ? NIL : unkNext[sentinel]!;
      if (dead) k = count;
      for (;;) {
        let r: number | BudgetExhaustion = REJECTED;
        if (k < count) {
          const id = cands[start + k]!;
          const twin = this.prevSameReq[id]!;
          if ((twin === NIL || this.set.has(twin)) && this.ready(id)) r = this.attempt(id, 1, start, count, k, limit);
          k++;
        } else if (u !== NIL && this.unk[u]!.call <= limit) {
          const twin = this.prevSame[u]!;
          if (twin === NIL || this.set.has(this.base + twin)) r = this.attempt(this.base + u, 2, start, count, k, limit);
          u = unkNext[u]!;
        } else {
          // Out of candidates: undo choices until one has a next candidate.
          if (!this.popChoice()) return { outcome: 'violation', frontier };
          const { popped } = this;
          ({ start, count, k, limit } = popped);
          u = popped.phase === 1 ? unkNext[sentinel]! : unkNext[popped.id - this.base]!;
          if (popped.phase === 1) k++;
          continue;
        }
        if (typeof r === 'string') return { outcome: r, frontier };
        if (r === PUSHED) {
          // The stack keeps this configuration's candidates: the next one's go after them.
          this.candTop = start + count;
          break;
        }
      }
      if (this.remaining === 0) return { outcome: 'linearizable', frontier };
    }
  }

  /** Doubles the room for candidates (keeping them); returns the new array. */
  private growCandidates(): Int32Array {
    const grown = new Int32Array(this.cands.length * 2);
    grown.set(this.cands);
    this.cands = grown;
    return grown;
  }

  /** Whether every operation that must precede required operation `id` is linearized. */
  private ready(id: number): boolean {
    const preds = this.preds?.[id];
    if (preds === undefined) return true;
    for (const p of preds) if (!this.set.has(p)) return false;
    return true;
  }

  /** Tries to linearize operation `id` now: PUSHED, REJECTED by the model, SEEN before, or why the budget stopped it. */
  private attempt(id: number, phase: number, start: number, count: number, k: number, limit: number): number | BudgetExhaustion {
    const stop = this.budget.charge();
    if (stop !== undefined) return stop;
    const op = id < this.base ? this.req[id]! : this.unk[id - this.base]!;
    const result = this.model.step(this.state, op.input, op.output);
    if (!result.ok) return REJECTED;
    const sid = result.state === this.state ? this.sid : this.states.idOf(result.state);
    this.set.add(id);
    if (!this.cache.add(this.set, sid)) {
      this.set.remove(id);
      return SEEN;
    }
    const d = this.depth++;
    this.stackOp[d] = id;
    this.stackState[d] = this.state;
    this.stackSid[d] = this.sid;
    this.stackPhase[d] = phase;
    this.stackStart[d] = start;
    this.stackCount[d] = count;
    this.stackK[d] = k;
    this.stackLimit[d] = limit;
    this.state = result.state;
    this.sid = sid;
    if (id < this.base) {
      this.events.lift(id);
      this.remaining--;
    } else unlink(this.unkNext, this.unkPrev, id - this.base);
    return PUSHED;
  }

  /** Undoes choices back to the last one that was not forced and keeps it in `popped`; false when there is none. */
  private popChoice(): boolean {
    while (this.depth > 0) {
      const d = --this.depth;
      const id = this.stackOp[d]!;
      this.state = this.stackState[d]!;
      this.sid = this.stackSid[d]!;
      this.set.remove(id);
      if (id < this.base) {
        this.events.unlift(id);
        this.remaining++;
      } else relink(this.unkNext, this.unkPrev, id - this.base);
      const phase = this.stackPhase[d]!;
      if (phase !== 0) {
        const { popped } = this;
        popped.id = id;
        popped.phase = phase;
        popped.start = this.stackStart[d]!;
        popped.count = this.stackCount[d]!;
        popped.k = this.stackK[d]!;
        popped.limit = this.stackLimit[d]!;
        return true;
      }
    }
    return false;
  }
}

/** The `before` pairs as lists of predecessors per required operation index (`undefined` without pairs). */
function predecessors<Input, Output>(
  req: readonly SearchOperation<Input, Output>[],
  before: readonly (readonly [SearchOperation<Input, Output>, SearchOperation<Input, Output>])[],
): (number[] | undefined)[] | undefined {
  if (before.length === 0) return undefined;
  const preds: (number[] | undefined)[] = new Array<number[] | undefined>(req.length);
  const index = new Map(req.map((op, i) => [op, i]));
  for (const [a, b] of before) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined) continue;
    (preds[j] ??= []).push(i);
  }
  return preds;
}

/**
 * Writes in `result` (filled with NIL), for each operation (in call order), the previous
 * one with the same input object and equal output for which `before(previous, op)`
 * holds: interchangeable operations. Inputs are compared by identity (the model's simplification shares one
 * input object among the writes it merges), so only shared inputs cost a comparison.
 */
function twins<Input, Output>(
  ops: readonly SearchOperation<Input, Output>[],
  result: Int32Array,
  before: (a: SearchOperation<Input, Output>, b: SearchOperation<Input, Output>) => boolean,
  skip?: Uint8Array,
): void {
  const uses = new Map<unknown, number>();
  for (const op of ops) uses.set(op.input, (uses.get(op.input) ?? 0) + 1);
  const ids = new Map<unknown, number>();
  const last = new Map<string, number>();
  ops.forEach((op, i) => {
    if (skip?.[i] === 1 || uses.get(op.input) === 1) return;
    let id = ids.get(op.input);
    if (id === undefined) ids.set(op.input, (id = ids.size));
    const key = `${id}\u0000${formatValue(op.output)}`;
    const prev = last.get(key);
    last.set(key, i);
    if (prev !== undefined && before(ops[prev]!, op)) result[i] = prev;
  });
}

/** Any earlier unknown operation can stand in for a later identical one. */
function anyOrder(): boolean {
  return true;
}

/** A required operation can stand in for a later identical one that returns no earlier. */
function returnsNoLater<Input, Output>(a: SearchOperation<Input, Output>, b: SearchOperation<Input, Output>): boolean {
  return a.return <= b.return;
}

const PUSHED = 0;
const REJECTED = 1;
const SEEN = 2;
