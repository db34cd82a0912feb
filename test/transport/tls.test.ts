import { afterAll, describe, expect, test } from 'vitest';
import { PeerRefusedError } from '../../src/transport/errors.js';
import { UNIDENTIFIED_PEER } from '../../src/transport/transport.js';
import { appMsg, createPki, next, record, tlsTransports } from './helpers.js';

describe('TcpTransport over TLS: peer certificate authentication', () => {
  const pki = createPki(['ca', 'evil']);
  const good = { ca: pki.ca['ca']! };
  const member1 = pki.member('member-1');
  const member3 = pki.member('member-3');
  const impostor = pki.member('member-1-evil', 'evil');
  const make = tlsTransports();
  afterAll(() => pki.dispose());

  test('a certificate signed by the CA and on the allow-list is accepted', async () => {
    const b = await make(2, { ...pki.member('member-2'), ...good, allowedNames: ['member-1'] });
    const a = await make(1, { ...member1, ...good, allowedNames: ['member-2'] });
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    const got = next(b, 'message');
    a.send([appMsg(1, 2, 1)]);
    expect((await got)[0].index).toBe(1);
  });

  test('a certificate from another CA is refused during the TLS handshake, before any message is read', async () => {
    const b = await make(2, { ...pki.member('member-2'), ...good });
    // The impostor trusts the real CA (so it accepts b's certificate) but its own is signed by 'evil'.
    const a = await make(1, { ...impostor, ...good });
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'tls');
    const unreachable = next(a, 'unreachable', (p) => p === 2);
    a.send([appMsg(1, 2, 1)]);
    const [err] = await refused;
    await unreachable;
    expect(err).toBeInstanceOf(PeerRefusedError);
    expect(err).toMatchObject({ code: 'ERR_PEER_REFUSED' });
    expect(got).toEqual([]);
    expect(b.stats().get(UNIDENTIFIED_PEER)!.framesRefused).toBeGreaterThanOrEqual(1);
  });

  test('a valid certificate whose name is not on the allow-list is refused', async () => {
    const b = await make(2, { ...pki.member('member-2'), ...good, allowedNames: ['member-1'] });
    const c = await make(3, { ...member3, ...good }); // no allow-list: checks b's IP SAN instead
    c.addPeer(2, b.address!);
    b.addPeer(3, c.address!);
    const got = record(b);
    const refused = next(b, 'error', (e) => e instanceof PeerRefusedError && e.reason === 'name-not-allowed');
    c.send([appMsg(3, 2, 1)]);
    await refused;
    expect(got).toEqual([]);
  });

  test('the dialler refuses a listener whose certificate is not on its allow-list', async () => {
    const b = await make(2, { ...pki.member('member-2'), ...good });
    const a = await make(1, { ...member1, ...good, allowedNames: ['member-9'] });
    a.addPeer(2, b.address!);
    b.addPeer(1, a.address!);
    const got = record(b);
    await Promise.all([next(a, 'unreachable', (p) => p === 2), Promise.resolve(a.send([appMsg(1, 2, 1)]))]);
    expect(got).toEqual([]);
    expect(a.stats().get(2)!.connects).toBe(0);
  });
});
