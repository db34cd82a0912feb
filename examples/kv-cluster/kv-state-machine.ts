/**
 * A tiny replicated key-value state machine for the raftkit examples: commands are JSON
 * `{ op: 'put', key, value }`, `{ op: 'delete', key }` or `{ op: 'cas', key, expected, value }`
 * (compare-and-set: write `value` only if the key's value is `expected`, `null` meaning
 * "absent"), and the state is a Map. It is in memory, so it starts at applied index 0 and is
 * rebuilt from the stored snapshot and log.
 */
import type { Command, StateMachine, StateMachineSnapshot } from 'raftkit';

/** A KV command. */
export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: string | null; value: string };

/** What a KV command returns: the previous value of the key, if any, and for `cas` whether it swapped. */
export interface KvResult {
  /** The value the key had before the command. */
  prev: string | undefined;
  /** For `cas` only: whether the key held `expected`, so `value` was written. */
  swapped?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command for `Replica.propose`. */
export function encodeKv(cmd: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd));
}

/** The in-memory KV state machine. */
export class KvStateMachine implements StateMachine<KvResult> {
  readonly data = new Map<string, string>();
  private applied = 0;

  appliedIndex(): number {
    return this.applied;
  }

  apply(commands: readonly Command[]): KvResult[] {
    return commands.map((c) => {
      this.applied = c.index;
      const cmd = JSON.parse(dec.decode(c.data)) as KvCommand;
      const prev = this.data.get(cmd.key);
      switch (cmd.op) {
        case 'put':
          this.data.set(cmd.key, cmd.value);
          return { prev };
        case 'delete':
          this.data.delete(cmd.key);
          return { prev };
        case 'cas': {
          const swapped = (prev ?? null) === cmd.expected;
          if (swapped) this.data.set(cmd.key, cmd.value);
          return { prev, swapped };
        }
      }
    });
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(snapshot: StateMachineSnapshot): void {
    this.data.clear();
    for (const [k, v] of JSON.parse(dec.decode(snapshot.data)) as [string, string][]) this.data.set(k, v);
    this.applied = snapshot.index;
  }

  /** The value of a key (call after `Replica.read()` for a linearizable read). */
  get(key: string): string | undefined {
    return this.data.get(key);
  }
}
