/**
 * The linearizability checker of `raftkit/testing`: record client operations, then
 * check them against a sequential model.
 */
export { checkLinearizable } from './check.js';
export type { CheckOptions, CheckResult, LinearizableResult, NotLinearizableResult, ShrinkReport, UnknownResult } from './check.js';
export type { BudgetExhaustion } from './budget.js';
export { HistoryFormatError, OperationAlreadyCompletedError, ParallelCheckError } from './errors.js';
export { historyFromJSON, historyToJSON } from './json.js';
export type { HistoryJsonEntry } from './json.js';
export { kvModel } from './kv-model.js';
export type {
  KvCasInput,
  KvCasOutput,
  KvCompare,
  KvDeleteInput,
  KvDeleteOutput,
  KvGetInput,
  KvGetOutput,
  KvInput,
  KvOutput,
  KvPutInput,
  KvPutOutput,
  KvState,
  KvTxnDeleteOp,
  KvTxnDeleteResult,
  KvTxnGetOp,
  KvTxnGetResult,
  KvTxnInput,
  KvTxnOp,
  KvTxnOpResult,
  KvTxnOutput,
  KvTxnPutOp,
  KvTxnPutResult,
} from './kv-model.js';
export { partitionBy } from './model.js';
export type { HistoryPartition, Model, ModelRecipe, Simplified, StepAccepted, StepRejected, StepResult } from './model.js';
export type { ParallelOptions } from './parallel.js';
export { closeCheckerThreads } from './pool.js';
export type {
  ClientId,
  CompletedOperation,
  FailedOperation,
  Operation,
  OperationBase,
  OperationOutcome,
  SearchOperation,
  UnknownOperation,
} from './operation.js';
export { HistoryRecorder } from './recorder.js';
export type { HistoryRecorderOptions, OperationHandle } from './recorder.js';
export { registerModel } from './register-model.js';
export type {
  RegisterCasInput,
  RegisterCasOutput,
  RegisterInput,
  RegisterModelOptions,
  RegisterOutput,
  RegisterReadInput,
  RegisterReadOutput,
  RegisterValue,
  RegisterWriteInput,
  RegisterWriteOutput,
} from './register-model.js';
