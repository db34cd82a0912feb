import type { Histogram } from 'prom-client';
import { MessageType, type Message } from '../raft/messages.js';
import type { Clock } from './clock.js';

/**
 * Per-peer round-trip times, measured by the replica itself (so with any transport) from the
 * leader's heartbeats: the send time of the latest `MsgHeartbeat` to a peer is noted, and the
 * peer's next `MsgHeartbeatResp` observes the time elapsed since, in milliseconds of the
 * injected {@link Clock}. Each sample goes to `raft_peer_round_trip_time_seconds{peer}` and the
 * latest one is kept for `status()` and the transport gauge.
 *
 * The measurement is exact while the round trip is shorter than the heartbeat interval (the
 * usual case: heartbeats are a fraction of the election timeout, which must be well above the
 * round trip, Raft paper §5.6). Responses carry nothing that names their heartbeat, so a longer
 * round trip reads low; a lost heartbeat or response costs one sample, never a lasting skew.
 *
 * Cost per heartbeat: one `Map.set`; per response: one `Map.get`/`delete`/`set` and a
 * histogram observation (label children are created once per peer).
 */
export class PeerRtt {
  private readonly clock: Clock;
  private readonly histogram: Histogram<'peer'>;
  private readonly sentAt = new Map<number, number>();
  private readonly latestMs = new Map<number, number>();
  private readonly children = new Map<number, Histogram.Internal<'peer'>>();

  /**
   * @param clock - the replica's clock.
   * @param histogram - `raft_peer_round_trip_time_seconds`, labelled by peer id.
   */
  constructor(clock: Clock, histogram: Histogram<'peer'>) {
    this.clock = clock;
    this.histogram = histogram;
  }

  /** Notes the send time of every heartbeat in `messages` (called for every batch handed to the transport). */
  sent(messages: readonly Message[]): void {
    let now = -1;
    for (const m of messages) {
      if (m.type !== MessageType.MsgHeartbeat) continue;
      if (now < 0) now = this.clock.now();
      this.sentAt.set(m.to, now);
    }
  }

  /** Observes the round trip when `m` answers a noted heartbeat; `now` is the clock time `m` arrived. */
  received(m: Message, now: number): void {
    if (m.type !== MessageType.MsgHeartbeatResp) return;
    const at = this.sentAt.get(m.from);
    if (at === undefined) return;
    this.sentAt.delete(m.from);
    const ms = now - at;
    this.latestMs.set(m.from, ms);
    let child = this.children.get(m.from);
    if (child === undefined) this.children.set(m.from, (child = this.histogram.labels({ peer: String(m.from) })));
    child.observe(ms / 1000);
  }

  /** The latest round-trip time to `peer` in milliseconds, or `undefined` before the first sample. */
  latest(peer: number): number | undefined {
    return this.latestMs.get(peer);
  }

  /** Forgets a removed peer (its histogram series stays, as counters do). */
  forget(peer: number): void {
    this.sentAt.delete(peer);
    this.latestMs.delete(peer);
  }
}
