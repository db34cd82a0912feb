/**
 * The entry file of a parallel check's worker threads (pool.ts starts them; tsup builds it
 * as dist/testing/checker-worker). It answers each {@link ShareRequest} on its port with
 * the reports of its share of partitions, then counts itself finished in the shared flags
 * and wakes the calling thread, which is blocked waiting for them.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { kvModel } from './kv-model.js';
import type { Model, ModelRecipe } from './model.js';
import type { ShareReply, ShareRequest } from './pool.js';
import { registerModel } from './register-model.js';
import { checkShare, FLAG_FINISHED } from './share.js';

type AnyModel = Model<unknown, unknown, unknown>;

/** The models of raftkit/testing, by factory name (recipes without `module`). */
const builtins: Record<string, (...args: never[]) => unknown> = { kvModel, registerModel };
const models = new Map<string, AnyModel>();

async function modelOf(recipe: ModelRecipe): Promise<AnyModel> {
  const key = JSON.stringify(recipe);
  const known = models.get(key);
  if (known !== undefined) return known;
  const exports = recipe.module === undefined ? builtins : ((await import(recipe.module)) as Record<string, unknown>);
  const factory = exports[recipe.factory];
  if (typeof factory !== 'function') {
    throw new TypeError(`${recipe.module ?? 'raftkit/testing'} has no function ${recipe.factory} to build the model`);
  }
  const model = (factory as (...args: unknown[]) => AnyModel)(...(recipe.args ?? []));
  models.set(key, model);
  return model;
}

async function answer(request: ShareRequest): Promise<ShareReply> {
  try {
    const model = await modelOf(request.recipe);
    const deadline = request.deadlineAt === Infinity ? Infinity : request.deadlineAt - performance.timeOrigin;
    const reports = checkShare(model, request.partitions, new Int32Array(request.flags), request.maxSteps, deadline, () => performance.now());
    return { id: request.id, reports };
  } catch (err) {
    const { name, message, code } = err instanceof Error ? (err as Error & { code?: unknown }) : { name: 'Error', message: String(err), code: undefined };
    return { id: request.id, error: { name, message, ...(typeof code === 'string' ? { code } : {}) } };
  }
}

const port = (workerData as { port: MessagePort }).port;
/** The request being answered: if the thread exits meanwhile (a model calling `process.exit`), it still answers it. */
let current: ShareRequest | undefined;

function reply(request: ShareRequest, message: ShareReply): void {
  port.postMessage(message);
  const flags = new Int32Array(request.flags);
  Atomics.add(flags, FLAG_FINISHED, 1);
  Atomics.notify(flags, FLAG_FINISHED);
}

port.on('message', (request: ShareRequest) => {
  current = request;
  void answer(request).then((message) => {
    current = undefined;
    reply(request, message);
  });
});
process.on('exit', (code) => {
  if (current !== undefined) reply(current, { id: current.id, error: { name: 'Error', message: `the thread exited with code ${code} while checking` } });
});
