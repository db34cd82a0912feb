import type { WatchBatch } from '../../src/kv/watch/types.js';
import type { Watcher } from '../../src/kv/watch/watcher.js';
import { dec } from './helpers.js';

/** A watcher's batches as they arrive, read in the background. */
export class Reader {
  readonly batches: WatchBatch[] = [];
  private readonly waiters: { cond: () => boolean; resolve: () => void }[] = [];
  done = false;

  constructor(w: Watcher) {
    void (async () => {
      for await (const b of w) {
        this.batches.push(b);
        this.check();
      }
      this.done = true;
      this.check();
    })();
  }

  /** Every event received, as `rev:TYPE:key[=value]` text. */
  events(): string[] {
    return this.batches.flatMap((b) => b.events.map((e) => `${e.kv.modRevision}:${e.type === 0 ? 'PUT' : 'DEL'}:${dec(e.kv.key)}${e.type === 0 ? `=${dec(e.kv.value)}` : ''}`));
  }

  /** Resolves once `cond()` holds (checked after each batch); rejects after `ms`. */
  until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events())}`)), ms);
      this.waiters.push({ cond, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private check(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.cond()) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}
