import { ConfigInvalidError } from '../raft/errors.js';
import { SeededRng } from '../raft/rng.js';
import type { TransportOptions } from './abstract-transport.js';
import { addressOf, InProcessTransport, type InProcessEndpoint, type TransmitResult } from './in-process-transport.js';
import { realTimerScheduler, type Scheduler } from './scheduler.js';

/**
 * The faults the network applies to a link (one direction, sender → recipient). Every
 * probability is in `[0, 1]`; every random choice comes from the network's seeded RNG, in a
 * fixed order per message, so the same seed and the same sends give the same run.
 */
export interface LinkFaults {
  /** The probability that a message is silently lost. Default 0. */
  drop?: number;
  /** The probability that a message is delivered twice. Default 0. */
  duplicate?: number;
  /** The probability that a message is swapped with the next one in the same delivery batch. Default 0. */
  reorder?: number;
  /**
   * The delivery delay in milliseconds on the network's scheduler: a fixed delay, or a
   * `[min, max]` range drawn uniformly per message (which also reorders). Default 0 (next microtask).
   */
  delayMs?: number | readonly [number, number];
}

/** Options of {@link InProcessNetwork}. */
export interface InProcessNetworkOptions {
  /** The seed of every random fault decision. Default 1. */
  seed?: number;
  /** Runs delayed deliveries; inject a manual clock's scheduler in simulations. Default: real timers. */
  scheduler?: Scheduler;
}

/** Options of {@link InProcessNetwork.transport}: the shared transport options without the id. */
export type InProcessTransportOptions = Omit<TransportOptions, 'id'>;

/** Counters of an {@link InProcessNetwork}. */
export interface NetworkStats {
  /** Frames handed to the network by senders. */
  transmitted: number;
  /** Frames handed to a recipient transport (duplicates included). */
  delivered: number;
  /** Frames lost to the `drop` fault. */
  dropped: number;
  /** Frames lost to a partition. */
  blocked: number;
  /** Frames lost because no open transport was at the address when they arrived. */
  undeliverable: number;
  /** Extra copies made by the `duplicate` fault. */
  duplicated: number;
  /** Frames swapped by the `reorder` fault. */
  reordered: number;
}

interface Delivery {
  from: number;
  address: string;
  frame: Uint8Array;
  reorder: boolean;
}

function checkProbability(p: number | undefined, field: string): number {
  const v = p ?? 0;
  if (!(v >= 0 && v <= 1)) throw new ConfigInvalidError(`LinkFaults.${field} must be in [0, 1], got ${String(p)}`);
  return v;
}

/**
 * A simulated network connecting {@link InProcessTransport}s in one process, for tests
 * (raftkit's own and your application's).
 *
 * - Messages go through the real codec: each is encoded into a frame, and the recipient runs
 *   it through a `FrameDecoder` with its own `maxFrameSize` and `decodeMessage`, so tests
 *   exercise the wire format and its limits.
 * - Delivery is always asynchronous. Without a delay, the frames sent in one turn are
 *   delivered together in one microtask (`queueMicrotask`), in send order (per sender, and
 *   overall) unless `reorder` swaps some. With a delay, the delivery is scheduled on the
 *   injected {@link Scheduler} (real timers by default).
 * - Faults (`partition`, `setFaults`) are decided when a frame is sent, from a
 *   {@link SeededRng}: a partition or a drop loses the frame silently, as a real network would.
 *   A frame to an address where no transport is listening makes the sender emit `unreachable`
 *   (a refused connection).
 */
export class InProcessNetwork {
  readonly #rng: SeededRng;
  readonly #scheduler: Scheduler;
  readonly #endpoints = new Map<string, InProcessEndpoint>();
  readonly #blocked = new Set<string>();
  #faults: LinkFaults = {};
  readonly #linkFaults = new Map<string, LinkFaults>();
  #batch: Delivery[] = [];
  readonly #timers = new Set<() => void>();
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #stats: NetworkStats = { transmitted: 0, delivered: 0, dropped: 0, blocked: 0, undeliverable: 0, duplicated: 0, reordered: 0 };

  /** @param options - the seed and the scheduler. */
  constructor(options: InProcessNetworkOptions = {}) {
    this.#rng = new SeededRng(options.seed ?? 1);
    this.#scheduler = options.scheduler ?? realTimerScheduler;
  }

  /**
   * Creates the transport of member `id`, reachable at `inproc://<id>` once started.
   *
   * @throws `ConfigInvalidError` if an open (or opening) transport of that id exists.
   */
  transport(id: number, options: InProcessTransportOptions = {}): InProcessTransport {
    const existing = this.#endpoints.get(addressOf(id));
    if (existing !== undefined) throw new ConfigInvalidError(`InProcessNetwork: member ${id} already has an open transport`);
    return new InProcessTransport({ ...options, id }, {
      attach: (ep) => this.#attach(ep),
      detach: (ep) => this.#detach(ep),
      transmit: (from, address, frame) => this.#transmit(from, address, frame),
    });
  }

  /**
   * Cuts the links from every member of `a` to every member of `b`, and back unless
   * `oneWay` is set. Frames on a cut link are lost silently. Cumulative until {@link heal}.
   */
  partition(a: readonly number[], b: readonly number[], options: { oneWay?: boolean } = {}): void {
    for (const x of a) {
      for (const y of b) {
        this.#blocked.add(`${x}>${y}`);
        if (options.oneWay !== true) this.#blocked.add(`${y}>${x}`);
      }
    }
  }

  /** Cuts every link to and from `id`. */
  isolate(id: number): void {
    for (const ep of this.#endpoints.values()) if (ep.id !== id) this.partition([id], [ep.id]);
  }

  /** Removes every partition. */
  heal(): void {
    this.#blocked.clear();
  }

  /**
   * Sets the faults of the link `from → to`, or of every link when `link` is omitted (links
   * with their own faults keep them). Replaces the previous faults of that scope.
   *
   * @throws `ConfigInvalidError` for a probability outside `[0, 1]` or a negative delay.
   */
  setFaults(faults: LinkFaults, link?: { from: number; to: number }): void {
    checkProbability(faults.drop, 'drop');
    checkProbability(faults.duplicate, 'duplicate');
    checkProbability(faults.reorder, 'reorder');
    const d = faults.delayMs ?? 0;
    const [lo, hi] = typeof d === 'number' ? [d, d] : d;
    if (!(lo >= 0 && hi >= lo)) throw new ConfigInvalidError('LinkFaults.delayMs must be >= 0 (and min <= max)');
    if (link === undefined) this.#faults = { ...faults };
    else this.#linkFaults.set(`${link.from}>${link.to}`, { ...faults });
  }

  /** Removes every fault (partitions stay: see {@link heal}). */
  clearFaults(): void {
    this.#faults = {};
    this.#linkFaults.clear();
  }

  /** A copy of the network's counters. */
  stats(): NetworkStats {
    return { ...this.#stats };
  }

  /** Resolves once no frame is in flight (every scheduled delivery has run). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Delivers raw bytes to member `to` as if member `from` had sent them: a frame (or garbage)
   * for testing how a transport refuses malformed input. Asynchronous, like every delivery;
   * faults do not apply.
   */
  injectFrame(from: number, to: number, frame: Uint8Array): void {
    this.#enqueue({ from, address: addressOf(to), frame, reorder: false }, 0);
  }

  /** Cancels every pending delayed delivery. Transports are closed by their owners. */
  close(): void {
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#inFlight = this.#batch.length;
    if (this.#inFlight === 0) this.#wakeIdle();
  }

  #attach(ep: InProcessEndpoint): void {
    const address = addressOf(ep.id);
    if (this.#endpoints.has(address)) throw new ConfigInvalidError(`InProcessNetwork: member ${ep.id} already has an open transport`);
    this.#endpoints.set(address, ep);
  }

  #detach(ep: InProcessEndpoint): void {
    const address = addressOf(ep.id);
    if (this.#endpoints.get(address) === ep) this.#endpoints.delete(address);
  }

  #transmit(from: number, address: string, frame: Uint8Array): TransmitResult {
    this.#stats.transmitted++;
    const listening = this.#endpoints.has(address) ? 'sent' : 'no-listener';
    const to = Number(address.slice('inproc://'.length));
    if (this.#blocked.has(`${from}>${to}`)) {
      this.#stats.blocked++;
      return 'lost';
    }
    const f = this.#linkFaults.get(`${from}>${to}`) ?? this.#faults;
    // Fixed draw order per message (drop, duplicate, reorder, delay) keeps runs reproducible.
    const drop = (f.drop ?? 0) > 0 && this.#rng.nextFloat() < (f.drop ?? 0);
    const dup = (f.duplicate ?? 0) > 0 && this.#rng.nextFloat() < (f.duplicate ?? 0);
    const reorder = (f.reorder ?? 0) > 0 && this.#rng.nextFloat() < (f.reorder ?? 0);
    if (drop) {
      this.#stats.dropped++;
      return 'lost';
    }
    const copies = dup ? 2 : 1;
    if (dup) this.#stats.duplicated++;
    for (let i = 0; i < copies; i++) this.#enqueue({ from, address, frame, reorder }, this.#delay(f));
    return listening;
  }

  #delay(f: LinkFaults): number {
    const d = f.delayMs ?? 0;
    if (typeof d === 'number') return d;
    const [lo, hi] = d;
    return hi > lo ? lo + this.#rng.nextFloat() * (hi - lo) : lo;
  }

  #enqueue(d: Delivery, delay: number): void {
    this.#inFlight++;
    if (delay > 0) {
      const cancel = this.#scheduler.schedule(() => {
        this.#timers.delete(cancel);
        this.#deliver(d);
        this.#settle(1);
      }, delay);
      this.#timers.add(cancel);
      return;
    }
    if (this.#batch.length === 0) queueMicrotask(() => this.#flush());
    this.#batch.push(d);
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    for (let i = 0; i + 1 < batch.length; i++) {
      if (batch[i]!.reorder) {
        const a = batch[i]!;
        batch[i] = batch[i + 1]!;
        batch[i + 1] = a;
        this.#stats.reordered++;
        i++;
      }
    }
    for (const d of batch) this.#deliver(d);
    this.#settle(batch.length);
  }

  #deliver(d: Delivery): void {
    const ep = this.#endpoints.get(d.address);
    if (ep === undefined) {
      this.#stats.undeliverable++;
      return;
    }
    this.#stats.delivered++;
    ep.deliver(d.from, d.frame);
  }

  #settle(n: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - n);
    if (this.#inFlight === 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
