import { MessageType, type Message } from '../raft/messages.js';
import type { Clock } from './clock.js';

/**
 * Late heartbeats, as etcd's leader detects them (its "timeout detector", behind
 * `etcd_server_heartbeat_send_failures_total`): for each peer, the time since the previous
 * `MsgHeartbeat` this member sent it. A heartbeat that goes out more than twice the heartbeat
 * interval after the previous one to the same peer counts one failure: the leader was too busy
 * to tick on time (an event loop blocked by a slow disk write, a long apply, a GC pause), and
 * its followers are that close to starting an election.
 *
 * Time is the replica's {@link Clock}, read once per batch of messages that holds a heartbeat.
 * The record of each peer is keyed by the heartbeat's term: a leader's stint always has a term
 * of its own (a leader that steps down can only lead again in a later term), so the first
 * heartbeats of a new stint start new records instead of being compared with the last ones of
 * an earlier stint, which is the reset etcd does when leadership changes.
 *
 * Cost per heartbeat: one `Map.get` and, for the first heartbeat of a stint, one `Map.set`.
 */
export class HeartbeatDetector {
  private readonly clock: Clock;
  private readonly maxGapMs: number;
  private readonly late: () => void;
  /** Per peer: the term and clock time of the last heartbeat sent to it. */
  private readonly last = new Map<number, { term: number; at: number }>();

  /**
   * @param clock - the replica's clock.
   * @param heartbeatMs - the heartbeat interval in milliseconds (tick duration × `heartbeatTick`);
   *   a gap of more than twice that is a failure.
   * @param late - called once per late heartbeat.
   */
  constructor(clock: Clock, heartbeatMs: number, late: () => void) {
    this.clock = clock;
    this.maxGapMs = 2 * heartbeatMs;
    this.late = late;
  }

  /** Checks every heartbeat in `messages` (called for every batch handed to the transport). */
  sent(messages: readonly Message[]): void {
    let now = -1;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.type !== MessageType.MsgHeartbeat) continue;
      if (now < 0) now = this.clock.now();
      const prev = this.last.get(m.to);
      if (prev === undefined || prev.term !== m.term) {
        this.last.set(m.to, { term: m.term, at: now });
        continue;
      }
      if (now - prev.at > this.maxGapMs) this.late();
      prev.at = now;
    }
  }

  /** Forgets a removed peer (a member re-added under its id starts a new record). */
  forget(peer: number): void {
    this.last.delete(peer);
  }
}
