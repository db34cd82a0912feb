import type { Applied } from '../mvcc/apply.js';
import { revisionHeader } from '../mvcc/range.js';
import { pack, unpack } from '../record.js';

/** A member's published attributes (etcd's `Attributes`: what `etcdserver.publish` replicates). */
export interface MemberAttributes {
  /** The member's human-readable name. */
  name: string;
  /** The URLs clients reach the member at. */
  clientUrls: string[];
}

/**
 * The member attributes replicated through Raft, as etcd publishes each member's name and
 * client URLs when it starts, so that `memberList` on any member shows every member's. The
 * state machine persists them with the batch that applied them and carries them in snapshots.
 */
export class MemberAttrTable {
  readonly #attrs = new Map<bigint, MemberAttributes>();
  readonly #touched = new Set<bigint>();

  /** The attributes member `id` published, if any. */
  get(id: bigint): MemberAttributes | undefined {
    return this.#attrs.get(id);
  }

  /**
   * Records member `id`'s attributes (the `memberAttrs` command).
   *
   * @internal
   */
  apply(id: bigint, attrs: MemberAttributes, rev: number): Applied<{ header: ReturnType<typeof revisionHeader> }> {
    this.#attrs.set(id, { name: attrs.name, clientUrls: [...attrs.clientUrls] });
    this.#touched.add(id);
    return { response: { header: revisionHeader(rev) }, effects: { changes: [] } };
  }

  /**
   * The attributes changed since the last call, to persist with the batch that applied them.
   *
   * @internal
   */
  drainTouched(): [bigint, MemberAttributes][] {
    if (this.#touched.size === 0) return [];
    const out = [...this.#touched].map((id): [bigint, MemberAttributes] => [id, this.#attrs.get(id)!]);
    this.#touched.clear();
    return out;
  }

  /**
   * Replaces the table with the attributes loaded from the database.
   *
   * @internal
   */
  load(entries: readonly [bigint, MemberAttributes][]): void {
    this.#attrs.clear();
    this.#touched.clear();
    for (const [id, a] of entries) this.#attrs.set(id, a);
  }
}

/** A member attributes record's value: msgpack `[name, clientUrls]`. */
export function encodeMemberAttrs(a: MemberAttributes): Uint8Array {
  return pack([a.name, a.clientUrls]);
}

/** Decodes {@link encodeMemberAttrs}. */
export function decodeMemberAttrs(v: Uint8Array): MemberAttributes {
  const [name, clientUrls] = unpack(v) as [string, string[]];
  return { name, clientUrls };
}
