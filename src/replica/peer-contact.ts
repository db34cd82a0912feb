/** When a peer was last heard from, and since when without a break. */
interface Contact {
  /** The clock time of the latest message accepted from the peer. */
  last: number;
  /** The clock time its current unbroken run of contact began. */
  since: number;
}

/**
 * The replica's record of contact with each peer, from the messages it accepts: whether a peer
 * is reachable now, and whether it has been for a whole health interval. A silence longer than
 * one election timeout breaks the run, as a dropped connection resets the time etcd's transport
 * reports in `ActiveSince`.
 *
 * The strict reconfiguration check counts a voter only once it has been in contact for the
 * health interval (etcd's `isConnectedSince(now - HealthInterval)`, with `HealthInterval` 5 s),
 * so a member that has just come back does not yet count toward the quorum a change must keep.
 */
export class PeerContact {
  readonly #contacts = new Map<number, Contact>();
  readonly #electionMs: number;
  readonly #healthIntervalMs: number;

  /**
   * @param electionMs - the longest silence that still counts as contact (one election timeout).
   * @param healthIntervalMs - how long contact must have lasted for {@link PeerContact.connected}.
   */
  constructor(electionMs: number, healthIntervalMs: number) {
    this.#electionMs = electionMs;
    this.#healthIntervalMs = healthIntervalMs;
  }

  /** Records a message accepted from `id` at clock time `now`. */
  heard(id: number, now: number): void {
    const c = this.#contacts.get(id);
    if (c === undefined) {
      this.#contacts.set(id, { last: now, since: now });
      return;
    }
    if (now - c.last > this.#electionMs) c.since = now;
    c.last = now;
  }

  /** Whether `id` was heard from within one election timeout of `now`. */
  reachable(id: number, now: number): boolean {
    const c = this.#contacts.get(id);
    return c !== undefined && now - c.last <= this.#electionMs;
  }

  /** Whether `id` is reachable and has been without a break for at least the health interval. */
  connected(id: number, now: number): boolean {
    const c = this.#contacts.get(id);
    return c !== undefined && now - c.last <= this.#electionMs && now - c.since >= this.#healthIntervalMs;
  }
}
