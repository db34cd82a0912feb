import { describe, test } from 'vitest';
import { runTransportConformance } from '../../src/testing/conformance/transport-suite.js';
import { TcpTransport } from '../../src/transport/tcp.js';

describe('conformance: TcpTransport', () => {
  runTransportConformance({
    test,
    factory: (id, options) => new TcpTransport({ id, ...options, reconnect: { initialDelayMs: 10, maxDelayMs: 100 } }),
  });
});
