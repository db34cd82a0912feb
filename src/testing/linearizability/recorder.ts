import { OperationAlreadyCompletedError } from './errors.js';
import type { HistoryJsonEntry } from './json.js';
import { historyToJSON } from './json.js';
import type { ClientId, Operation } from './operation.js';

/** Options of {@link HistoryRecorder}. */
export interface HistoryRecorderOptions {
  /**
   * The clock that stamps calls and returns. Default: a counter that returns 0, 1, 2, …
   * on successive reads, which orders events exactly as they were recorded. Pass
   * `() => performance.now()` for real time or a simulated clock's reading; readings
   * must never decrease.
   */
  readonly now?: () => number;
}

/**
 * The handle of one invoked operation; complete it exactly once with {@link OperationHandle.ok},
 * {@link OperationHandle.fail} or {@link OperationHandle.unknown}. An operation never
 * completed counts as unknown.
 */
export interface OperationHandle<Output> {
  /** Records that the operation took effect and the client saw `output`. */
  ok(output: Output): void;
  /** Records that the operation definitely did not take effect (`error` is kept for the reader). */
  fail(error?: unknown): void;
  /** Records that the client does not know whether the operation took effect (a timeout). */
  unknown(): void;
}

interface Slot<Input, Output> {
  readonly clientId: ClientId;
  readonly op: string;
  readonly input: Input;
  readonly call: number;
  done?: Operation<Input, Output>;
}

/**
 * Records the operations clients issue against a system under test, with their call
 * and return times, to check afterwards with `checkLinearizable`.
 *
 * ```ts
 * const recorder = new HistoryRecorder<KvInput, KvOutput>();
 * const h = recorder.invoke('c1', 'put', { op: 'put', key: 'x', value: '1' });
 * h.ok({ op: 'put' });
 * checkLinearizable(recorder.history(), kvModel());
 * ```
 */
export class HistoryRecorder<Input, Output> {
  private readonly now: () => number;
  private readonly slots: Slot<Input, Output>[] = [];

  /** @param options - optional clock. */
  constructor(options: HistoryRecorderOptions = {}) {
    let counter = 0;
    this.now = options.now ?? (() => counter++);
  }

  /** Records the call of operation `op` by `clientId` now, and returns the handle to complete it. */
  invoke(clientId: ClientId, op: string, input: Input): OperationHandle<Output> {
    const slot: Slot<Input, Output> = { clientId, op, input, call: this.now() };
    this.slots.push(slot);
    const { call } = slot;
    const complete = (how: string, make: () => Operation<Input, Output>): void => {
      if (slot.done !== undefined) {
        throw new OperationAlreadyCompletedError(
          `operation ${op} of client ${String(clientId)} (call ${slot.call}) already completed as '${slot.done.outcome}', cannot complete as '${how}'`,
        );
      }
      slot.done = make();
    };
    // Whole object literals, not `{ ...base, outcome, ... }`: V8 gives every object built by
    // spreading and then adding fields a hidden class of its own, which makes each later read
    // of a field (by the checker, thousands of times per history) a slow, megamorphic one.
    return {
      ok: (output) => complete('ok', () => ({ clientId, op, input, call, outcome: 'ok', output, return: this.now() })),
      fail: (error?: unknown) =>
        complete('fail', () =>
          error === undefined
            ? { clientId, op, input, call, outcome: 'fail', return: this.now() }
            : { clientId, op, input, call, outcome: 'fail', return: this.now(), error },
        ),
      unknown: () => complete('unknown', () => ({ clientId, op, input, call, outcome: 'unknown', return: Infinity })),
    };
  }

  /** The operations recorded so far, in call order; those not yet completed appear as unknown. */
  history(): Operation<Input, Output>[] {
    return this.slots.map(
      (s) => s.done ?? { clientId: s.clientId, op: s.op, input: s.input, call: s.call, outcome: 'unknown', return: Infinity },
    );
  }

  /** The history in the portable JSON format (see `historyToJSON`). */
  toJSON(): HistoryJsonEntry[] {
    return historyToJSON(this.history());
  }
}
