/**
 * The `raftkit` command serves etcd's HTTP endpoints (`/metrics`, `/health`, `/version` on
 * `--listen-metrics-urls`) from its main thread, and asks the member's thread for the answers
 * over a `MessagePort`. HTTP/1 then never runs in the member's isolate. When it did, a member's
 * first scrape made V8 drop optimized code of Node's stream and event functions (`Readable.read`,
 * `onStreamRead`, `emit`: "wrong map", new object shapes reaching code the member's HTTP/2 streams
 * and peer sockets share), and its puts ran 27-37% slower for about 3 s until V8 optimized them
 * again (three runs; 2% faster to 24% slower, 9% slower at the median of eight, since). The main
 * thread is otherwise idle.
 */
import { readFileSync } from 'node:fs';
import type * as http from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import { RaftkitError } from '../../errors.js';
import { messageOf, serveHttpEndpoints, type Health, type HealthQuery, type HttpEndpointSource, type ProbeCheck } from '../http.js';
import type { MemberConfig } from './flags.js';
import type { Log } from './member.js';

/** A question from the main thread: the answer to which endpoint (with `/health`'s query, or the probe's check). */
type Question = { readonly id: number } & ({ readonly what: 'metrics' } | { readonly what: 'health'; readonly query: HealthQuery } | { readonly what: 'probe'; readonly check: ProbeCheck });

/** The member thread's answer: the value (none: a probe passed), or why there is none. */
type Answer = { readonly id: number; readonly value: string | Health | undefined } | { readonly id: number; readonly error: string };

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** `/health` while the member is still starting (opening its data, joining its cluster). */
export const NOT_STARTED: Health = { health: 'false', reason: 'NOT STARTED' };

/**
 * The member thread's side: answers the questions arriving on `port`, from the source given to
 * {@link EndpointAnswerer.serve} once the member runs. Before that, `/health` is
 * {@link NOT_STARTED} and `/metrics` is refused (503). The port does not keep the thread alive.
 */
export class EndpointAnswerer {
  private source: HttpEndpointSource | undefined;
  private readonly port: MessagePort;

  /** @param port - the member thread's end of the channel. */
  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (q: Question) => void this.answer(q));
    port.unref();
  }

  /** Answers from `source` from now on. */
  serve(source: HttpEndpointSource): void {
    this.source = source;
  }

  /** Stops answering; the main thread's pending questions fail. */
  close(): void {
    this.port.close();
  }

  private async answer(q: Question): Promise<void> {
    let a: Answer;
    try {
      a = { id: q.id, value: await this.value(q) };
    } catch (e) {
      a = { id: q.id, error: messageOf(e) };
    }
    this.port.postMessage(a);
  }

  private value(q: Question): Promise<string | Health | undefined> {
    const s = this.source;
    if (s === undefined) {
      if (q.what === 'health') return Promise.resolve(NOT_STARTED);
      if (q.what === 'probe') return Promise.resolve('the member is starting');
      return Promise.reject(new RaftkitError('ERR_UNAVAILABLE', 'the member is starting'));
    }
    return q.what === 'metrics' ? s.metrics() : q.what === 'health' ? s.health(q.query) : s.probe(q.check);
  }
}

/**
 * The main thread's side: an {@link HttpEndpointSource} that asks the member's thread over
 * `port`. Questions pending when the port closes (the member's thread ended) fail with
 * `ERR_UNAVAILABLE`. The port does not keep the process alive.
 */
export class EndpointQuestioner implements HttpEndpointSource {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: string | Health | undefined) => void; reject: (e: Error) => void }>();
  private closed = false;
  private pendingMetrics: Promise<string> | undefined;
  private readonly port: MessagePort;

  /** @param port - the main thread's end of the channel. */
  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (a: Answer) => {
      const p = this.pending.get(a.id);
      if (p === undefined) return;
      this.pending.delete(a.id);
      if ('error' in a) p.reject(new RaftkitError('ERR_UNAVAILABLE', a.error));
      else p.resolve(a.value);
    });
    port.on('close', () => this.close());
    port.unref();
  }

  /**
   * {@inheritDoc HttpEndpointSource.metrics} Scrapes that arrive while one is being answered
   * share its answer, so that a burst of scrapes costs the member's thread one rendering.
   */
  metrics(): Promise<string> {
    this.pendingMetrics ??= (this.ask({ what: 'metrics' }) as Promise<string>).finally(() => {
      this.pendingMetrics = undefined;
    });
    return this.pendingMetrics;
  }

  /** {@inheritDoc HttpEndpointSource.health} */
  health(query: HealthQuery = {}): Promise<Health> {
    return this.ask({ what: 'health', query }) as Promise<Health>;
  }

  /** {@inheritDoc HttpEndpointSource.probe} */
  probe(check: ProbeCheck): Promise<string | undefined> {
    return this.ask({ what: 'probe', check }) as Promise<string | undefined>;
  }

  /** Closes the port; pending and later questions fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    const gone = new RaftkitError('ERR_UNAVAILABLE', 'the member has stopped');
    for (const p of this.pending.values()) p.reject(gone);
    this.pending.clear();
  }

  private ask(q: DistributiveOmit<Question, 'id'>): Promise<string | Health | undefined> {
    if (this.closed) return Promise.reject(new RaftkitError('ERR_UNAVAILABLE', 'the member has stopped'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ ...q, id } satisfies Question);
    });
  }
}

/**
 * Serves the HTTP endpoints on every `--listen-metrics-urls` URL (over TLS with the client
 * certificate for `https://` ones), answering from the member's thread through `port`. Logs each
 * address. `close` stops the servers and drops their connections.
 */
export async function serveMemberEndpoints(c: MemberConfig, port: MessagePort, log: Log): Promise<{ close(): void }> {
  const source = new EndpointQuestioner(port);
  const tls = c.clientTls.certFile === '' ? undefined : { cert: readFileSync(c.clientTls.certFile), key: readFileSync(c.clientTls.keyFile) };
  const servers: http.Server[] = [];
  const close = (): void => {
    source.close();
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
  };
  try {
    for (const u of c.listenMetricsUrls) {
      const h = await serveHttpEndpoints(u, source, tls, c.socketReusePort);
      servers.push(h.server);
      log('info', 'serving metrics', { address: h.url });
    }
  } catch (e) {
    close();
    throw e;
  }
  return { close };
}
