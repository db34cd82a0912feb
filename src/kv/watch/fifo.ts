/**
 * A first-in first-out queue whose `shift` is O(1): an array read from a head index (no
 * `Array.prototype.shift`, which moves every element left and is O(n) once the array is too large
 * for V8 to trim in place, as a watcher's backlog of thousands of batches can be). A taken slot is
 * cleared at once, so the queue keeps no taken item alive; the array is emptied when the queue
 * is, and cut down to its live part once more than half of it is taken slots.
 *
 * Invariant: the items queued are `items[head..]`, in order; `items[..head]` are cleared.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** The number of items queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Queues `item` last. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, left queued; `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Takes the first item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The slots of the underlying array, taken ones included (what the queue holds memory for). */
  get slots(): number {
    return this.#items.length;
  }
}

/** Taken slots below this many are left in place (cutting the array then saves nothing). */
const COMPACT_AFTER = 64;
