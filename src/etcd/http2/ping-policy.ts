import { constants, type ServerHttp2Session } from 'node:http2';

/** Pings too early before the connection is closed (grpc-go's `maxPingStrikes`: the third strike ends it). */
const MAX_STRIKES = 2;
/** With no call open, a ping counts as early within this many ms of the previous one (grpc-go's `defaultPingTimeout`, 2 h). */
const IDLE_MIN_MS = 2 * 3600_000;

/**
 * The most octets a server writes between two pings on its own: the previous ping's acknowledgement
 * (17) and a SETTINGS acknowledgement (9). More means it wrote the client something else.
 */
const OWN_FRAMES_BYTES = 26;

/**
 * etcd's keepalive enforcement (`--grpc-keepalive-min-time`, grpc-go's `EnforcementPolicy` without
 * `PermitWithoutStream`): a client's ping that comes sooner than `minTimeMs` after its previous one
 * while a call is open, or within 2 hours of it while none is, is a strike. As in grpc-go, a ping
 * after the server has written the client something (an answer, stream data: what a download's
 * bandwidth probes follow) clears the strikes instead. Past two strikes the connection gets a GOAWAY
 * with ENHANCE_YOUR_CALM and `too_many_pings`, which gRPC clients read as "ping less often", and is
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
    // The octets written to the connection tell whether the server wrote the client anything but its
    // own acknowledgements (a connection without the count, behind the door's rewriter, is never struck).
    const written = (): number | undefined => (session.socket as { bytesWritten?: number } | undefined)?.bytesWritten;
    let lastBytes = written() ?? 0;
    let last = -Infinity;
    let strikes = 0;
    let open = 0;
    // One listener per session, not a closure per stream (a stream closes once: `on` needs no `once` wrapper).
    const closed = (): void => {
      open--;
    };
    session.on('stream', (stream: { on(event: 'close', fn: () => void): unknown }) => {
      open++;
      stream.on('close', closed);
    });
    session.on('ping', () => {
      const now = this.#now();
      const bytes = written();
      const wrote = bytes === undefined || bytes - lastBytes > OWN_FRAMES_BYTES;
      lastBytes = bytes ?? lastBytes;
      const early = now - last < (open > 0 ? this.#minTimeMs : IDLE_MIN_MS);
      last = now;
      if (wrote) {
        strikes = 0;
        return;
      }
      if (early) strikes++;
      if (strikes <= MAX_STRIKES || session.closed || session.destroyed) return;
      this.closed++;
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from('too_many_pings'));
      // The GOAWAY leaves before the connection closes.
      setImmediate(() => session.destroy());
    });
  }
}
