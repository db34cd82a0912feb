import type { StepAccepted } from './model.js';

/**
 * A KV model state holding exactly one key: what every state of a per-key partition is
 * once the key has a value. It is a `ReadonlyMap` like any other state, but costs one
 * small object instead of a `Map` per write, and carries its identifying string.
 */
export class OneKeyState implements ReadonlyMap<string, string> {
  /** Always 1. */
  readonly size = 1;
  /** The key. */
  readonly key: string;
  /** The key's value. */
  readonly value: string;
  /** The string that identifies the state (length-prefixed key, then value). */
  readonly id: string;
  /** The model's step result leading to this state (made once: results are never mutated). */
  readonly accepted: StepAccepted<ReadonlyMap<string, string>>;
  /** The start of `id`: the same for every value of the key. */
  private readonly prefix: string;

  /**
   * @param key - the key.
   * @param value - its value.
   * @param prefix - optional: `oneKeyPrefix(key)`, when already made.
   */
  constructor(key: string, value: string, prefix = oneKeyPrefix(key)) {
    this.key = key;
    this.value = value;
    this.prefix = prefix;
    this.id = prefix + value;
    this.accepted = { ok: true, state: this };
  }

  /** The state with the same key holding `value`. */
  withValue(value: string): OneKeyState {
    return new OneKeyState(this.key, value, this.prefix);
  }

  get(key: string): string | undefined {
    return key === this.key ? this.value : undefined;
  }

  has(key: string): boolean {
    return key === this.key;
  }

  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    callback.call(thisArg, this.value, this.key, this);
  }

  entries(): MapIterator<[string, string]> {
    return this.asMap().entries();
  }

  keys(): MapIterator<string> {
    return this.asMap().keys();
  }

  values(): MapIterator<string> {
    return this.asMap().values();
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  private asMap(): Map<string, string> {
    return new Map([[this.key, this.value]]);
  }
}

/**
 * The identifying string of a one-key state, the same whether the state is a
 * {@link OneKeyState} or a `Map` with one entry. It starts with U+0001 and the key's
 * length, so it never equals another one-key state's string (for any split of key and
 * value), the empty state's (`''`), or the JSON of larger states (which starts with `[`).
 */
export function oneKeyId(key: string, value: string): string {
  return oneKeyPrefix(key) + value;
}

/** The start of {@link oneKeyId} for `key`: U+0001, the key's length, a colon, the key. */
function oneKeyPrefix(key: string): string {
  return `\u0001${key.length}:${key}`;
}
