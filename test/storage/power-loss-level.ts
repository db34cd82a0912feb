/**
 * A model of a disk that loses power, for tests: `PowerLossLevel` is a memory-level database
 * that journals every write reaching it; a write made with `sync: true` makes itself and every
 * earlier write durable (as a LevelDB log sync does). `crashImage()` is what a machine would
 * find after losing power: only the durable prefix of the journal, replayed into a fresh
 * database; `tornImage()` also keeps an arbitrary subset of the unsynced writes.
 */
import { MemoryLevel } from 'memory-level';

/** One write that reached the disk. */
export type Write =
  | { kind: 'put'; key: Uint8Array; value: Uint8Array }
  | { kind: 'del'; key: Uint8Array }
  | { kind: 'batch'; ops: { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[] }
  | { kind: 'clear'; options: Record<string, unknown> };

interface LevelInternals {
  _put(key: Uint8Array, value: Uint8Array, options: object): Promise<void>;
  _del(key: Uint8Array, options: object): Promise<void>;
  _batch(ops: { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[], options: object): Promise<void>;
  _clear(options: object): Promise<void>;
}

/** memory-level's implementation methods, which abstract-level's typings do not declare. */
const base = MemoryLevel.prototype as unknown as LevelInternals;

/** A memory-level database that journals its writes and knows which of them were synced. */
export class PowerLossLevel extends MemoryLevel<Uint8Array, Uint8Array> {
  readonly journal: Write[] = [];
  /** The journal prefix that survives a power loss. */
  durable = 0;
  syncedWrites = 0;
  unsyncedWrites = 0;
  /** A lying disk: it acknowledges `sync: true` without making anything durable. */
  readonly ignoreSync: boolean;

  constructor(ignoreSync = false) {
    super({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' });
    this.ignoreSync = ignoreSync;
  }

  private record(w: Write, options: { sync?: boolean } | undefined): void {
    this.journal.push(w);
    if (options?.sync === true && !this.ignoreSync) {
      this.durable = this.journal.length;
      this.syncedWrites++;
    } else {
      this.unsyncedWrites++;
    }
  }

  async _put(key: Uint8Array, value: Uint8Array, options: { sync?: boolean }): Promise<void> {
    await base._put.call(this, key, value, options);
    this.record({ kind: 'put', key: key.slice(), value: value.slice() }, options);
  }

  async _del(key: Uint8Array, options: { sync?: boolean }): Promise<void> {
    await base._del.call(this, key, options);
    this.record({ kind: 'del', key: key.slice() }, options);
  }

  async _batch(ops: { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[], options: { sync?: boolean }): Promise<void> {
    await base._batch.call(this, ops, options);
    this.record({ kind: 'batch', ops: ops.map((o) => ({ type: o.type, key: o.key.slice(), ...(o.value === undefined ? {} : { value: o.value.slice() }) })) }, options);
  }

  async _clear(options: Record<string, unknown>): Promise<void> {
    await base._clear.call(this, options);
    this.record({ kind: 'clear', options: { ...options } }, undefined);
  }

  /** The database a machine finds after losing power now: the durable journal prefix, replayed. */
  crashImage(): Promise<PowerLossLevel> {
    return this.replay(this.journal.slice(0, this.durable)); // cut now, replay later
  }

  /**
   * A harsher power loss: the durable prefix and any subset of the unsynced writes after it
   * (`keep` decides for each), not only a prefix of them, as LevelDB's log recovery can skip a
   * damaged block in the middle of an unsynced tail and go on reading the records after it.
   */
  tornImage(keep: (w: Write) => boolean): Promise<PowerLossLevel> {
    return this.replay([...this.journal.slice(0, this.durable), ...this.journal.slice(this.durable).filter(keep)]);
  }

  private async replay(writes: readonly Write[]): Promise<PowerLossLevel> {
    const img = new PowerLossLevel(this.ignoreSync);
    await img.open();
    const raw = img as unknown as LevelInternals;
    for (const w of writes) {
      if (w.kind === 'put') await raw._put(w.key, w.value, {});
      else if (w.kind === 'del') await raw._del(w.key, {});
      else if (w.kind === 'batch') await raw._batch(w.ops, {});
      else await raw._clear({ ...w.options });
    }
    img.journal.length = 0;
    img.durable = 0;
    return img;
  }
}
