/**
 * A model with a recipe naming this module, as a user's own model would have for a
 * parallel check (parallel.test.ts): the worker threads import this file and call
 * {@link recipeKvModel}.
 */
import { kvModel, type KvInput, type KvOutput, type KvState, type Model } from '../../../src/testing/linearizability/index.js';

/** The KV model, rebuilt in worker threads from this module. */
export function recipeKvModel(): Model<KvState, KvInput, KvOutput> {
  return { ...kvModel(), recipe: { module: import.meta.url, factory: 'recipeKvModel' } };
}
