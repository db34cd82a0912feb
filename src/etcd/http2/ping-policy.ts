import { constants, type ServerHttp2Session } from 'node:http2';

/** Pings too early before the connection is closed (grpc-go's `maxPingStrikes`: the third strike ends it). */
const MAX_STRIKES = 2;
/** With no call open, a ping counts as early within this many ms of the previous one (grpc-go's `defaultPingTimeout`, 2 h). */
const IDLE_MIN_MS = 2 * 3600_000;

/**
 * etcd's keepalive enforcement (`--grpc-keepalive-min-time`, grpc-go's `EnforcementPolicy` without
 * `PermitWithoutStream`): a client's ping that comes sooner than `minTimeMs` after its previous one
 * while a call is open, or within 2 hours of it while none is, is a strike; a new call clears the
 * strikes (grpc-go clears them when it answers). Past two strikes the connection gets a GOAWAY with
 * ENHANCE_YOUR_CALM and `too_many_pings`, which gRPC clients read as "ping less often", and is
 * closed. A client that pings in a loop cannot keep a member busy answering.
 */
export class PingPolicy {
  readonly #minTimeMs: number;
  readonly #now: () => number;
  /** Connections closed for pinging too often. */
  closed = 0;

  /**
   * @param minTimeMs - the shortest interval between a client's pings while it has a call open.
   * @param now - the clock, in ms.
   */
  constructor(minTimeMs: number, now: () => number = () => performance.now()) {
    this.#minTimeMs = minTimeMs;
    this.#now = now;
  }

  /** Applies the policy to a client connection's session. */
  watch(session: ServerHttp2Session): void {
    let last = -Infinity;
    let strikes = 0;
    let open = 0;
    session.on('stream', (stream: { once(event: 'close', fn: () => void): unknown }) => {
      open++;
      strikes = 0;
      stream.once('close', () => open--);
    });
    session.on('ping', () => {
      const now = this.#now();
      if (now - last < (open > 0 ? this.#minTimeMs : IDLE_MIN_MS)) strikes++;
      last = now;
      if (strikes <= MAX_STRIKES || session.closed || session.destroyed) return;
      this.closed++;
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from('too_many_pings'));
      // The GOAWAY leaves before the connection closes.
      setImmediate(() => session.destroy());
    });
  }
}
