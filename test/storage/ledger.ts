import type { Command, StateMachine } from '../../src/replica/state-machine.js';

/** A state machine that records the commands it applied, in memory (a restarted one starts empty). */
export class Ledger implements StateMachine<number> {
  applied = 0;
  readonly values: string[] = [];
  appliedIndex(): number {
    return this.applied;
  }
  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      this.values.push(new TextDecoder().decode(c.data));
      return (this.applied = c.index);
    });
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.values));
  }
  restore(s: { index: number; data: Uint8Array }): void {
    this.values.splice(0, this.values.length, ...(JSON.parse(new TextDecoder().decode(s.data)) as string[]));
    this.applied = s.index;
  }
}
