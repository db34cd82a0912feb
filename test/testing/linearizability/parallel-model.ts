/**
 * A model with a recipe naming this module, as a user's own model would have for a
 * parallel check (parallel.test.ts): the worker threads import this file and call
 * {@link recipeKvModel}.
 */
import { isMainThread } from 'node:worker_threads';
import { kvModel, type KvInput, type KvOutput, type KvState, type Model } from '../../../src/testing/linearizability/index.js';

/** The KV model, rebuilt in worker threads from this module. */
export function recipeKvModel(): Model<KvState, KvInput, KvOutput> {
  return { ...kvModel(), recipe: { module: import.meta.url, factory: 'recipeKvModel' } };
}

/** The KV model, except that in a worker thread its first step ends the thread (`process.exit`). */
export function exitingKvModel(): Model<KvState, KvInput, KvOutput> {
  const model = kvModel();
  return {
    ...model,
    step: (state, input, output) => {
      if (!isMainThread) process.exit(7);
      return model.step(state, input, output);
    },
    recipe: { module: import.meta.url, factory: 'exitingKvModel' },
  };
}
