import { lookup } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PeerRefusedError } from '../../src/transport/errors.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { appMsg, createPki, next, record, tlsTransports } from './helpers.js';

// etcd's checkCertSAN on the peer listener (TlsOptions.verifyClientSan): a dialling member whose
// certificate has IP or DNS SANs must connect from one of the IPs, or from an address one of the
// DNS names resolves to. Member 1 dials member 2 from 127.0.0.1.
describe('TcpTransport over TLS: the dialling member\'s SANs against its address (verifyClientSan)', () => {
  const pki = createPki(['ca']);
  const make = tlsTransports();
  beforeAll(async () => {
    // The DNS case below needs localhost to resolve to 127.0.0.1 here.
    expect((await lookup('localhost', { all: true })).map((a) => a.address)).toContain('127.0.0.1');
  });
  afterAll(() => pki.dispose());

  /** Member 1, with a certificate whose SANs are `san`, sends member 2 (which checks SANs or not) one message. */
  async function dial(name: string, san: string, verifyClientSan: boolean): Promise<{ a: TcpTransport; b: TcpTransport }> {
    const common = { ca: pki.ca['ca']!, bindMemberId: false };
    const b = await make(2, { ...pki.member('listener'), ...common, verifyClientSan });
    const a = await make(1, { ...pki.member(name, 'ca', san), ...common });
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    return { a, b };
  }

  test.each([
    { san: 'IP:10.1.2.3', verify: false },
    { san: 'IP:127.0.0.1', verify: true },
    { san: 'IP:10.1.2.3,DNS:localhost', verify: true },
    { san: 'DNS:localhost', verify: true },
    { san: '', verify: true },
  ])('SANs [$san], verifyClientSan $verify: served', async ({ san, verify }) => {
    const { a, b } = await dial(`d${san.replace(/\W/g, '')}${String(verify)}`, san, verify);
    const got = next(b, 'message');
    a.send([appMsg(1, 2, 1)]);
    expect((await got)[0].index).toBe(1);
  });

  test('SANs [IP:10.1.2.3] from 127.0.0.1 with verifyClientSan: refused after the TLS handshake, nothing read, counted', async () => {
    const { a, b } = await dial('elsewhere', 'IP:10.1.2.3', true);
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'san-mismatch');
    a.send([appMsg(1, 2, 1)]);
    const [err] = await refused;
    expect(err).toMatchObject({ code: 'ERR_PEER_REFUSED' });
    expect(err.message).toContain('10.1.2.3');
    expect(got).toEqual([]);
    expect(b.stats().get(UNIDENTIFIED_PEER)!.framesRefused).toBeGreaterThanOrEqual(1);
  });
});
