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
 * acknowledged write is present, even one a later write overwrote.
 */
export class JsonMachine<S, I, O> implements StateMachine<O> {
  state: S;
  applied = 0;
  readonly ids = new Set<string>();
  /** The result of every applied command, by id: a duplicate answers with the first result. */
  private readonly results = new Map<string, O>();
  /** Commands that arrived a second time (skipped when `dedupe` is on). */
  duplicates = 0;
  /**
   * Whether a command id applied before is skipped (Raft thesis §6.3 client sessions): a
   * forwarded proposal that the network duplicates is appended twice by the leader.
   */
  dedupe = true;
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
      if (this.ids.has(id)) {
        this.duplicates++;
        // The proposer may still wait for it (the first copy may have reached this member
        // inside a snapshot), so a duplicate answers with the first copy's result.
        if (this.dedupe) return this.results.get(id)!;
      }
      const [next, out] = this.step(this.state, input);
      this.state = next;
      this.ids.add(id);
      this.results.set(id, out);
      return out;
    });
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ state: this.state, results: [...this.results], applied: this.applied }));
  }

  restore(s: StateMachineSnapshot): void {
    const v = JSON.parse(dec.decode(s.data)) as { state: S; results: [string, O][] };
    this.state = v.state;
    this.ids.clear();
    this.results.clear();
    for (const [id, out] of v.results) {
      this.ids.add(id);
      this.results.set(id, out);
    }
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
