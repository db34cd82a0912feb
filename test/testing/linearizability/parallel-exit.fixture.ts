/**
 * Run as a program by parallel.test.ts (vitest's test workers intercept `process.exit`): a
 * parallel check whose model ends the worker thread (`process.exit(7)`) must throw a
 * ParallelCheckError, not leave the calling thread waiting. Prints the error's code and message.
 */
import { checkLinearizable, closeCheckerThreads, ParallelCheckError } from '../../../src/testing/linearizability/index.js';
import { corruptRead } from './corpus.js';
import { simulateKv } from './helpers.js';
import { exitingKvModel } from './parallel-model.js';

const random = simulateKv({ seed: 2, clients: 10, operations: 600, keys: 4, unknownRate: 0.3, failRate: 0.02 });
const history = corruptRead(corruptRead(random, 2, { after: 0.5 }), 3, { after: 0.3 });
try {
  checkLinearizable(history, exitingKvModel(), { parallel: { minOperations: 0, threads: 2 } });
  console.log('no error');
} catch (err) {
  console.log(err instanceof ParallelCheckError ? `${err.code}: ${err.message}` : String(err));
}
await closeCheckerThreads();
