import type { Command, StateMachine, StateMachineSnapshot } from '../../../../src/replica/state-machine.js';
import type { KvInput, KvOutput, RegisterInput, RegisterOutput, RegisterValue } from '../../../../src/testing/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command with its unique id, as the Jepsen machines expect it. */
export function encodeCommand(id: string, input: unknown): Uint8Array {
  return enc.encode(JSON.stringify({ id, input }));
}

/**
 * An in-memory state machine over a pure `step`, with JSON commands `{ id, input }`. It keeps
 * the ids of every command it applied (in its snapshots too), so a test can check that every
 * acknowledged write is present, even one a later write overwrote, and counts commands that
 * arrive a second time. It does not dedupe them: the Replica's client sessions apply each
 * proposal once (see `src/replica/sessions.ts`), and `duplicates` must stay 0.
 */
export class JsonMachine<S, I, O> implements StateMachine<O> {
  state: S;
  applied = 0;
  readonly ids = new Set<string>();
  /** Commands that arrived a second time (applied again: the Replica should never deliver one). */
  duplicates = 0;
  private readonly step: (s: S, input: I) => [S, O];

  constructor(init: S, step: (s: S, input: I) => [S, O]) {
    this.state = init;
    this.step = step;
  }

  appliedIndex(): number {
    return this.applied;
  }

  apply(commands: readonly Command[]): O[] {
    return commands.map((c) => {
      const { id, input } = JSON.parse(dec.decode(c.data)) as { id: string; input: I };
      this.applied = c.index;
      if (this.ids.has(id)) this.duplicates++;
      const [next, out] = this.step(this.state, input);
      this.state = next;
      this.ids.add(id);
      return out;
    });
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ state: this.state, ids: [...this.ids], applied: this.applied }));
  }

  restore(s: StateMachineSnapshot): void {
    const v = JSON.parse(dec.decode(s.data)) as { state: S; ids: string[] };
    this.state = v.state;
    this.ids.clear();
    for (const id of v.ids) this.ids.add(id);
    this.applied = s.index;
  }
}

/** The register: one value, written or compare-and-set. */
export function registerMachine(): JsonMachine<RegisterValue, RegisterInput, RegisterOutput> {
  return new JsonMachine<RegisterValue, RegisterInput, RegisterOutput>(null, (s, input) => {
    switch (input.op) {
      case 'read':
        return [s, { op: 'read', value: s }];
      case 'write':
        return [input.value, { op: 'write' }];
      case 'cas':
        return s === input.expected ? [input.value, { op: 'cas', swapped: true }] : [s, { op: 'cas', swapped: false }];
    }
  });
}

/** The KV store's state: a plain object (JSON-friendly). */
export type KvObject = Record<string, string>;

/** The KV store: single-key put, get, delete and compare-and-set. */
export function kvMachine(): JsonMachine<KvObject, KvInput, KvOutput> {
  return new JsonMachine<KvObject, KvInput, KvOutput>({}, (s, input) => {
    const current = Object.hasOwn(s, input.key) ? s[input.key]! : null;
    const put = (value: string | null): KvObject => {
      const next = Object.fromEntries(Object.entries(s).filter(([k]) => k !== input.key));
      if (value !== null) next[input.key] = value;
      return next;
    };
    switch (input.op) {
      case 'get':
        return [s, { op: 'get', value: current }];
      case 'put':
        return [put(input.value), { op: 'put' }];
      case 'delete':
        return [put(null), { op: 'delete', deleted: current !== null }];
      case 'cas':
        return current === input.expected ? [put(input.value), { op: 'cas', swapped: true }] : [s, { op: 'cas', swapped: false }];
      case 'txn':
        throw new Error('txn is not part of this workload');
    }
  });
}
