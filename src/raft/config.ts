import { ConfigInvalidError } from './errors.js';
import type { LogStorage } from './log-storage.js';
import { silentLogger, type Logger } from './logger.js';
import { SeededRng, type Rng } from './rng.js';

/** How a leader serves `readIndex` requests. */
export type ReadOnlyOption = 'safe' | 'lease-based';

/**
 * The configuration of a {@link RaftNode}. Times are counted in ticks: calls of
 * `RaftNode.tick()`; the application decides how long a tick lasts.
 */
export interface RaftConfig {
  /** This node's id; a positive integer, unique in the cluster. */
  id: number;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout
   * is drawn from `[electionTick, 2 * electionTick)` after each reset. Must be greater
   * than `heartbeatTick`; 10 × `heartbeatTick` is the usual choice. Default 10.
   */
  electionTick?: number;
  /** Ticks between heartbeats from a leader. Default 1. */
  heartbeatTick?: number;
  /** The persisted log and state the node reads from. */
  storage: LogStorage;
  /**
   * The last index the application has applied. Set it when restarting so entries are not
   * applied twice. Default 0.
   */
  applied?: number;
  /**
   * The maximum bytes of entries in one append message (at least one entry is always
   * sent). Default 1 MiB.
   */
  maxSizePerMsg?: number;
  /** The maximum bytes of committed entries handed out in one Ready. Default 1 MiB. */
  maxCommittedSizePerReady?: number;
  /**
   * The maximum total payload bytes of uncommitted entries on a leader; proposals beyond
   * it are dropped. Default `Infinity` (no limit).
   */
  maxUncommittedEntriesSize?: number;
  /** The maximum number of in-flight append messages per follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** The maximum in-flight bytes of appends per follower. Default `Infinity` (no limit). */
  maxInflightBytes?: number;
  /**
   * Whether a leader steps down when it has not heard from a quorum in an election
   * timeout, and followers ignore vote requests while they have a live leader. Default false.
   */
  checkQuorum?: boolean;
  /** Whether to run a PreVote round before a real election (thesis §9.6). Default false. */
  preVote?: boolean;
  /**
   * How reads are confirmed: `'safe'` confirms leadership with a heartbeat round,
   * `'lease-based'` relies on the leader lease (requires `checkQuorum`). Default `'safe'`.
   */
  readOnlyOption?: ReadOnlyOption;
  /** Whether followers drop proposals instead of forwarding them to the leader. Default false. */
  disableProposalForwarding?: boolean;
  /** Whether a leader removed from the configuration steps down at once. Default false. */
  stepDownOnRemoval?: boolean;
  /** The source of randomness for election timeouts. Takes precedence over `seed`. */
  rng?: Rng;
  /** A seed for the default PRNG; a random seed is used when neither `rng` nor `seed` is given. */
  seed?: number;
  /** A per-instance logger. Default: silent. */
  logger?: Logger;
}

/** A {@link RaftConfig} with every default filled in (see each field of {@link RaftConfig}). */
export type ResolvedConfig = Required<Omit<RaftConfig, 'seed'>>;

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigInvalidError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function positiveLimit(name: string, v: number): number {
  if (v !== Infinity && (!Number.isSafeInteger(v) || v <= 0)) {
    throw new ConfigInvalidError(`${name} must be a positive integer or Infinity, got ${String(v)}`);
  }
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigInvalidError(`${name} must be a boolean, got ${String(v)}`);
  return v;
}

function randomSeed(): number {
  // The core reads no ambient randomness except here, when the user gave neither rng nor seed.
  return (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) + 1;
}

/**
 * Fills in defaults and validates a {@link RaftConfig}.
 *
 * @throws {@link ConfigInvalidError} naming the first invalid field and the rule it breaks.
 */
export function validateConfig(c: RaftConfig): ResolvedConfig {
  if (c === null || typeof c !== 'object') throw new ConfigInvalidError('config must be an object');
  const id = c.id;
  if (!Number.isSafeInteger(id) || id <= 0) throw new ConfigInvalidError(`id must be a positive integer, got ${String(id)}`);
  const heartbeatTick = positiveInt('heartbeatTick', c.heartbeatTick ?? 1);
  const electionTick = positiveInt('electionTick', c.electionTick ?? 10);
  if (electionTick <= heartbeatTick) {
    throw new ConfigInvalidError(`electionTick (${electionTick}) must be greater than heartbeatTick (${heartbeatTick})`);
  }
  const storage = c.storage;
  if (storage === undefined || storage === null || typeof storage.initialState !== 'function') {
    throw new ConfigInvalidError('storage must be a LogStorage');
  }
  const applied = c.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) {
    throw new ConfigInvalidError(`applied must be a non-negative integer, got ${String(applied)}`);
  }
  const maxSizePerMsg = positiveLimit('maxSizePerMsg', c.maxSizePerMsg ?? 1024 * 1024);
  const maxCommittedSizePerReady = positiveLimit('maxCommittedSizePerReady', c.maxCommittedSizePerReady ?? 1024 * 1024);
  const maxUncommittedEntriesSize = positiveLimit('maxUncommittedEntriesSize', c.maxUncommittedEntriesSize ?? Infinity);
  const maxInflightMsgs = positiveInt('maxInflightMsgs', c.maxInflightMsgs ?? 256);
  const maxInflightBytes = positiveLimit('maxInflightBytes', c.maxInflightBytes ?? Infinity);
  if (maxInflightBytes < maxSizePerMsg) {
    throw new ConfigInvalidError(`maxInflightBytes (${maxInflightBytes}) must be at least maxSizePerMsg (${maxSizePerMsg})`);
  }
  const checkQuorum = bool('checkQuorum', c.checkQuorum ?? false);
  const readOnlyOption = c.readOnlyOption ?? 'safe';
  if (readOnlyOption !== 'safe' && readOnlyOption !== 'lease-based') {
    throw new ConfigInvalidError(`readOnlyOption must be 'safe' or 'lease-based', got ${String(readOnlyOption)}`);
  }
  if (readOnlyOption === 'lease-based' && !checkQuorum) {
    throw new ConfigInvalidError("readOnlyOption 'lease-based' requires checkQuorum to be true");
  }
  if (c.seed !== undefined && !Number.isFinite(c.seed)) {
    throw new ConfigInvalidError(`seed must be a finite number, got ${String(c.seed)}`);
  }
  const rng = c.rng ?? new SeededRng(c.seed ?? randomSeed());
  if (typeof rng.nextInt !== 'function') throw new ConfigInvalidError('rng must implement nextInt(n)');
  return {
    id,
    electionTick,
    heartbeatTick,
    storage,
    applied,
    maxSizePerMsg,
    maxCommittedSizePerReady,
    maxUncommittedEntriesSize,
    maxInflightMsgs,
    maxInflightBytes,
    checkQuorum,
    preVote: bool('preVote', c.preVote ?? false),
    readOnlyOption,
    disableProposalForwarding: bool('disableProposalForwarding', c.disableProposalForwarding ?? false),
    stepDownOnRemoval: bool('stepDownOnRemoval', c.stepDownOnRemoval ?? false),
    rng,
    logger: c.logger ?? silentLogger,
  };
}
