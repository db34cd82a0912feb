import { afterEach } from 'vitest';
import { waitForTransportEvent } from '../../src/testing/conformance/transport-suite.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage, MessageType, type Message } from '../../src/raft/messages.js';
import { EntryType } from '../../src/raft/entry.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import type { TlsOptions } from '../../src/transport/tls.js';
import type { Transport, TransportEvents } from '../../src/transport/transport.js';

/** A throwaway PKI made with `openssl` in a temp dir; nothing is committed. */
export interface TestPki {
  /** Certificate authorities, by name, as PEM. */
  ca: Record<string, string>;
  /**
   * Issues a member key and certificate signed by CA `caName`, with CN `name` and the subject
   * alternative names `san` (OpenSSL's syntax; default DNS SAN `name` and IP SAN 127.0.0.1; `''`
   * for none).
   */
  member(name: string, caName?: string, san?: string): { key: string; cert: string };
  /** Deletes the temp dir. */
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** Creates CAs named `caNames` (ECDSA P-256, one day). */
export function createPki(caNames: readonly string[] = ['ca']): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'raftkit-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca: Record<string, string> = {};
  for (const name of caNames) {
    openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`], dir);
    ca[name] = readFileSync(join(dir, `${name}.crt`), 'utf8');
  }
  return {
    ca,
    member(name, caName = caNames[0]!, san = `DNS:${name},IP:127.0.0.1`) {
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `${san === '' ? '' : `subjectAltName=${san}\n`}basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext], dir);
      return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An `MsgApp` from `from` to `to` whose `index` identifies it, optionally carrying `data`. */
export function appMsg(from: number, to: number, index: number, data?: Uint8Array): Message {
  const entries = data === undefined ? [] : [{ term: 1, index, type: EntryType.EntryNormal, data }];
  return createMessage({ type: MessageType.MsgApp, from, to, term: 1, index, entries });
}

/** Resolves with the arguments of the first `event` matching `match`; rejects after `ms`. */
export function next<E extends keyof TransportEvents>(
  t: Transport,
  event: E,
  match: (...args: Parameters<TransportEvents[E]>) => boolean = () => true,
  ms = 10_000,
): Promise<Parameters<TransportEvents[E]>> {
  return waitForTransportEvent(t, event, match, ms);
}

/** Collects every message `t` receives, in order. */
export function record(t: Transport): Message[] {
  const got: Message[] = [];
  t.on('message', (m) => got.push(m));
  return got;
}

/** Resolves once `cond()` holds, checking after every macrotask turn; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts members 1 (`a`) and 2 (`b`) and makes each the other's peer. */
export async function connectPair<T extends Transport>(a: T, b: T): Promise<[T, T]> {
  await Promise.all([a.start(), b.start()]);
  a.addPeer(2, b.address!);
  b.addPeer(1, a.address!);
  return [a, b];
}

/**
 * A maker of started TLS transports for the calling file or `describe` (quick redials, `error`
 * events ignored); every transport it made is closed after each test.
 */
export function tlsTransports(): (id: number, tls: TlsOptions) => Promise<TcpTransport> {
  const open: TcpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  return async (id, tls) => {
    const t = new TcpTransport({ id, tls, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    open.push(t);
    t.on('error', () => undefined);
    await t.start();
    return t;
  };
}
