import { RaftkitError } from '../../errors.js';
import type { NetworkStats } from '../../transport/in-process.js';

/** Counts of the faults a `SimCluster` injected (see `SimCluster.stats`), by kind, plus the network's and disks' counters. */
export interface SimStats {
  /** Partitions set (each call, one-way or not). */
  partitions: number;
  /** Of them, one-way partitions. */
  oneWayPartitions: number;
  /** Calls that set message faults (loss, duplication, reordering, delay). */
  linkFaults: number;
  /** Member crashes. */
  crashes: number;
  /** Member restarts. */
  restarts: number;
  /** Member pauses. */
  pauses: number;
  /** Changes of a member's clock rate away from 1. */
  skews: number;
  /** Calls that slowed a disk down. */
  slowDisks: number;
  /** Membership changes proposed by the simulation (add, promote, remove). */
  membershipChanges: number;
  /** The network's counters (messages dropped, duplicated, reordered, blocked…). */
  network: NetworkStats;
  /** Unsynced writes lost to crashes, over every disk. */
  lostWrites: number;
  /** Writes delayed by slow disks, over every disk. */
  slowWrites: number;
}

/** `SimCluster.runUntil` or `SimCluster.drive` ran out of virtual time. Code `ERR_SIM_TIMEOUT`. */
export class SimTimeoutError extends RaftkitError {
  /** @param message - what was awaited, the seed and the virtual time. */
  constructor(message: string) {
    super('ERR_SIM_TIMEOUT', message);
  }
}
