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
    this.load(s.data);
    this.applied = s.index;
  }

  /** Replaces the state, the ids and the applied index with `snapshot()` bytes. */
  protected load(data: Uint8Array): void {
    const v = JSON.parse(dec.decode(data)) as { state: S; ids: string[]; applied: number };
    this.state = v.state;
    this.ids.clear();
    for (const id of v.ids) this.ids.add(id);
    this.applied = v.applied;
  }
}

/** A state machine's own disk: what it wrote durably, surviving its member's crashes and restarts. */
export interface MachineDisk {
  /** The durable state (`snapshot()` bytes), or undefined before the first write. */
  saved: Uint8Array | undefined;
}

/**
 * A {@link JsonMachine} with a durable database of its own (`disk`), snapshotted by reference
 * (`persist` and `captureSnapshot`, see `state-machine.ts`), as the KV is: it starts from what
 * its disk holds, writes its state there on `persist`, after a restore, and after every apply
 * batch whose last index is a multiple of 3 (a database that writes on its own schedule, so a
 * crash leaves it ahead of the Replica's snapshot, or behind its last applies).
 */
export class DurableJsonMachine<S, I, O> extends JsonMachine<S, I, O> {
  private readonly disk: MachineDisk;

  constructor(init: S, step: (s: S, input: I) => [S, O], disk: MachineDisk) {
    super(init, step);
    this.disk = disk;
    if (disk.saved !== undefined) this.load(disk.saved);
  }

  override apply(commands: readonly Command[]): O[] {
    const out = super.apply(commands);
    if (this.applied % 3 === 0) this.persist();
    return out;
  }

  override restore(s: StateMachineSnapshot): void {
    super.restore(s);
    this.persist();
  }

  /** Writes the state to the disk; returns its applied index. */
  persist(): number {
    this.disk.saved = this.snapshot();
    return this.applied;
  }

  /** The state now, as `snapshot()` bytes in one chunk. */
  captureSnapshot(): AsyncIterable<Uint8Array> {
    const bytes = this.snapshot();
    return (async function* () {
      yield await Promise.resolve(bytes);
    })();
  }
}

/** The register's step: one value, written or compare-and-set. */
function registerStep(s: RegisterValue, input: RegisterInput): [RegisterValue, RegisterOutput] {
  switch (input.op) {
    case 'read':
      return [s, { op: 'read', value: s }];
    case 'write':
      return [input.value, { op: 'write' }];
    case 'cas':
      return s === input.expected ? [input.value, { op: 'cas', swapped: true }] : [s, { op: 'cas', swapped: false }];
  }
}

/** The register: one value, written or compare-and-set; durable on `disk` (snapshotted by reference) when given. */
export function registerMachine(disk?: MachineDisk): JsonMachine<RegisterValue, RegisterInput, RegisterOutput> {
  if (disk !== undefined) return new DurableJsonMachine<RegisterValue, RegisterInput, RegisterOutput>(null, registerStep, disk);
  return new JsonMachine<RegisterValue, RegisterInput, RegisterOutput>(null, registerStep);
}

/** The KV store's state: a plain object (JSON-friendly). */
export type KvObject = Record<string, string>;

/** The KV store: single-key put, get, delete and compare-and-set; durable on `disk` (snapshotted by reference) when given. */
export function kvMachine(disk?: MachineDisk): JsonMachine<KvObject, KvInput, KvOutput> {
  if (disk !== undefined) return new DurableJsonMachine<KvObject, KvInput, KvOutput>({}, kvStep, disk);
  return new JsonMachine<KvObject, KvInput, KvOutput>({}, kvStep);
}

/** The KV store's step. */
function kvStep(s: KvObject, input: KvInput): [KvObject, KvOutput] {
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
}
