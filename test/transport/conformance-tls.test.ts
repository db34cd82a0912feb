import { afterAll, describe, test } from 'vitest';
import { runTransportConformance } from '../../src/testing/conformance/transport-suite.js';
import { TcpTransport } from '../../src/transport/tcp.js';
import { createPki } from './helpers.js';

describe('conformance: TcpTransport over mutual TLS', () => {
  const pki = createPki();
  const certs = new Map([1, 2, 3].map((id) => [id, pki.member(`member-${id}`)]));
  afterAll(() => pki.dispose());
  runTransportConformance({
    test,
    factory: (id, options) =>
      new TcpTransport({
        id,
        ...options,
        reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
        tls: { ...certs.get(id)!, ca: pki.ca['ca']!, allowedNames: ['member-1', 'member-2', 'member-3'] },
      }),
  });
});
