import { afterAll, describe, expect, test } from 'vitest';
import { PeerRefusedError } from '../../src/transport/errors.js';
import { ConfigInvalidError } from '../../src/raft/errors.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { appMsg, createPki, next, record, tlsTransports } from './helpers.js';

// etcd's --peer-client-cert-file/--peer-client-key-file (TlsOptions.clientCert/clientKey): a member
// dials its peers with that certificate, and serves them with `cert`. Member 2 takes only the CN
// `dialler` (etcd's --peer-cert-allowed-cn); member 1 serves as `server-1`.
describe('TcpTransport over TLS: a certificate of its own for dialling (clientCert)', () => {
  const pki = createPki(['ca']);
  const make = tlsTransports();
  afterAll(() => pki.dispose());

  async function pair(withClientCert: boolean): Promise<{ a: TcpTransport; b: TcpTransport }> {
    const common = { ca: pki.ca['ca']!, bindMemberId: false };
    const b = await make(2, { ...pki.member('server-2'), ...common, allowedCommonNames: ['dialler'] });
    const client = pki.member('dialler');
    const a = await make(1, { ...pki.member('server-1'), ...common, ...(withClientCert ? { clientCert: client.cert, clientKey: client.key } : {}) });
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    return { a, b };
  }

  test('with clientCert, the peer sees the dialling certificate and takes the message', async () => {
    const { a, b } = await pair(true);
    const got = next(b, 'message');
    a.send([appMsg(1, 2, 1)]);
    expect((await got)[0].index).toBe(1);
  });

  test('without it, the member dials with its serving certificate, which the peer refuses', async () => {
    const { a, b } = await pair(false);
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError);
    a.send([appMsg(1, 2, 1)]);
    expect((await refused)[0].message).toContain('server-1');
    expect(got).toEqual([]);
  });

  test('a client certificate without its key is refused at construction', () => {
    const m = pki.member('lonely');
    expect(() => new TcpTransport({ id: 1, tls: { ...m, ca: pki.ca['ca']!, clientCert: m.cert } })).toThrow(ConfigInvalidError);
  });
});
