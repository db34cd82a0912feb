import { describe, test } from 'vitest';
import { runTransportConformance } from '../../src/testing/conformance/transport-suite.js';
import { InProcessNetwork } from '../../src/transport/in-process.js';

describe('conformance: InProcessNetwork', () => {
  let network = new InProcessNetwork({ seed: 1 });
  runTransportConformance({
    test,
    factory: (id, options) => network.transport(id, options),
    teardown: () => {
      network.close();
      network = new InProcessNetwork({ seed: 1 });
    },
  });
});
