/**
 * A tiny replicated key-value state machine for the raftkit examples: commands are JSON
 * `{ op: 'put', key, value }` or `{ op: 'delete', key }`, and the state is a Map. It is in
 * memory, so it starts at applied index 0 and is rebuilt from the stored snapshot and log.
 */
import type { Command, StateMachine, StateMachineSnapshot } from '../../src/index.js';

/** A KV command. */
export type KvCommand = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string };

/** What a KV command returns: the previous value of the key, if any. */
export interface KvResult {
  /** The value the key had before the command. */
  prev: string | undefined;
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
      if (cmd.op === 'put') this.data.set(cmd.key, cmd.value);
      else this.data.delete(cmd.key);
      return { prev };
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
