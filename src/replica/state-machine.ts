/**
 * The application's state machine, driven by a {@link Replica}.
 *
 * ## The applied-index contract (no double apply)
 *
 * Raft delivers every committed entry again after a restart, from the latest stored snapshot
 * on. A replica therefore asks the state machine, once when it starts, for
 * {@link StateMachine.appliedIndex}: the index of the last command whose effects the state
 * holds. It passes to {@link StateMachine.apply} only commands with a greater index, always in
 * log order, each exactly once per run. So that nothing is applied twice across a crash, a
 * durable state machine must persist the index it is given with each command atomically with
 * the command's effects (for example in the same write batch). A purely in-memory state machine
 * simply starts at 0 and is rebuilt from the snapshot and log.
 *
 * Only application commands reach the state machine: the empty entries a new leader appends
 * and membership changes are handled by the replica. `appliedIndex()` may thus lag the
 * replica's applied index; it never exceeds it.
 *
 * ## Each proposal once (client sessions)
 *
 * The network may deliver a forwarded proposal twice, and the leader then commits it twice.
 * The replica drops every copy after the first, on every member alike (Raft thesis §6.3: each
 * command carries its proposer's client session), so a state machine needs no request ids of its own to be idempotent. A
 * dropped copy is not passed to `apply`; its index still counts as applied, so the indexes
 * given to `apply` may have gaps. A proposal committed very late (more than 4096 requests of
 * its proposer after a later one was applied) is dropped too: its `propose` times out with an
 * unknown outcome. A new `propose` call is always a new request, even with the same bytes.
 *
 * ## Snapshots
 *
 * Every `snapshotEvery` applied entries the replica calls {@link StateMachine.snapshot} (never
 * while an `apply` is in progress) and stores the result with the log position it covers. A
 * member that has fallen behind the compacted log receives it and calls
 * {@link StateMachine.restore}, which must replace the whole state; afterwards `appliedIndex()`
 * must return the snapshot's `index`.
 *
 * ## Streamed snapshots (optional)
 *
 * A large state need never be held in one buffer. A state machine that implements
 * {@link StateMachine.snapshotChunks} hands its snapshot over as chunks; with a storage that
 * stages snapshots (`LevelStorage`), the replica writes them to the storage's chunks as they
 * come, sends them to a lagging member chunk by chunk (over a transport that streams
 * snapshots, such as `TcpTransport`), and the receiving member stores them as they arrive and
 * passes them, read back from its storage, to {@link StateMachine.restoreChunks}. Each method
 * has a buffered fallback: without `restoreChunks` the chunks are joined and passed to
 * `restore`; with a storage or transport that does not stream, the chunks are joined where
 * that component needs one buffer. The two ways are interchangeable: `restoreChunks` must
 * accept what `snapshot()` returns and `restore` what `snapshotChunks()` yields.
 *
 * ## Snapshots without stopping applies (optional)
 *
 * Encoding and writing a large state takes long, and `snapshotChunks()` holds every `apply`
 * until its last chunk is read. A state machine that implements
 * {@link StateMachine.captureSnapshot} only holds them while it captures a consistent view of
 * its state; the replica then reads, stores and installs the snapshot in the background while
 * entries go on being applied (one snapshot at a time). `snapshot()` is treated alike once its
 * bytes are returned: only storing them goes on in the background.
 *
 * ## Snapshots by reference (optional)
 *
 * A state machine that keeps its state in its own durable database need not copy it into a
 * snapshot at all. One that implements {@link StateMachine.persist} and
 * {@link StateMachine.captureSnapshot} is snapshotted by reference, as etcd's KV is: every
 * `snapshotEvery` entries the replica makes the state durable with `persist()` and stores a
 * snapshot holding only the address book, the session table and the applied index `persist()`
 * resolved with; the log is then compacted as usual (never past what the durable state holds).
 * The state machine's bytes are captured only when a lagging member needs a snapshot: the
 * replica calls `captureSnapshot()` then, between applies, and sends the state with the index
 * and term it was captured at, newer than the snapshot's. The receiving member's `restore` (or
 * `restoreChunks`) is given that index and term, and its replica passes to `apply` only the
 * commands after that index (the entries in between still update the session table and the
 * configuration, as after a restart). A replica
 * that restarts with such a snapshot does not restore anything: it starts from `appliedIndex()`,
 * and refuses to start (`StateMachineBehindSnapshotError`) when that is older than the index
 * the snapshot recorded (the state machine's database was lost or replaced).
 *
 * ## Failures stop the replica
 *
 * Every member must apply every committed entry, in order, so a replica never skips an entry
 * the state machine could not apply. When {@link StateMachine.apply} (or
 * {@link StateMachine.restore}) throws or rejects, the replica emits an `error` event with an
 * `ApplyFailedError` (code `ERR_APPLY_FAILED`, naming the first `index` not applied, `cause`
 * the thrown error), rejects the failed batch's own proposals with it and every other pending
 * request with `StoppedError`, and stops. A state machine that throws must keep
 * `appliedIndex()` true to its state: commands of the batch it applied before throwing are
 * skipped after a restart, the others are passed again. Once the cause is fixed, restarting
 * the replica on the same storage applies from `appliedIndex()` + 1, failed entry included. A deterministic failure (the same command
 * throws on every member) stops every member that reaches it: validate commands before
 * proposing them, and report a command's own failure as its result rather than by throwing.
 *
 * @template R - the result type of one command (what `Replica.propose` resolves with).
 */
export interface StateMachine<R = unknown> {
  /**
   * The index of the last command applied to the state (0 for a fresh state). Called once,
   * when the replica starts.
   */
  appliedIndex(): number | Promise<number>;
  /**
   * Applies a batch of committed commands, in log order, and returns exactly one result per
   * command (in the same order). Every `index` is greater than those of earlier calls.
   * A rejected promise or a thrown error stops the replica with `ApplyFailedError`, and the
   * whole batch is applied again after a restart (see "Failures stop the replica" above).
   */
  apply(commands: readonly Command[]): R[] | Promise<R[]>;
  /** Serializes the whole state (everything applied so far). */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot taken by some member's {@link StateMachine.snapshot}. */
  restore(snapshot: StateMachineSnapshot): void | Promise<void>;
  /**
   * Optional: serializes the whole state as a sequence of chunks (their concatenation is the
   * snapshot), read lazily as the replica stores them. Called like `snapshot()`: never while an
   * `apply` is in progress, and no `apply` starts until the iteration is over, so the chunks
   * describe exactly the applied state. When present, the replica uses it instead of
   * `snapshot()` (see "Streamed snapshots" above).
   */
  snapshotChunks?(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /**
   * Optional: captures the state as of the last `apply` and returns its snapshot as chunks
   * (what `snapshotChunks()` would yield now) that the replica reads afterwards, while later
   * `apply` calls, and a `restore` or `restoreChunks`, go on. The chunks must describe the
   * captured state whatever happens to the state meanwhile: read them from a consistent view
   * taken at the call, such as a database snapshot (as etcd's backend hands out a read
   * transaction), never from the live state. Called like `snapshot()`, between applies, and no
   * `apply` starts until the returned promise resolves, so capture cheaply (a view, not a copy
   * of the data). The replica reads every chunk, or ends the iteration early (its iterator's
   * `return()`) when it abandons the snapshot, so a view can be released in a `finally`. When
   * present, the replica uses it instead of `snapshotChunks()` and `snapshot()` (see
   * "Snapshots without stopping applies" above).
   */
  captureSnapshot?(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /**
   * Optional: replaces the whole state with a snapshot whose bytes arrive in chunks (the
   * concatenation of some member's `snapshotChunks()` or `snapshot()`). When present, the
   * replica uses it instead of `restore`.
   */
  restoreChunks?(snapshot: StateMachineSnapshotStream): void | Promise<void>;
  /**
   * Optional: makes every command applied before the call durable, and resolves with the index
   * of the last of them (what `appliedIndex()` would return after a crash, at least). Called
   * between applies, when a snapshot is due; later `apply` calls may go on before it resolves.
   * With {@link StateMachine.captureSnapshot}, the replica snapshots the state machine by
   * reference (see "Snapshots by reference" above). `undefined` is the same as absent.
   */
  persist?: (() => number | Promise<number>) | undefined;
  /**
   * Optional: called once when the replica stops, after the last `apply` and before the storage
   * closes, to finish writes the state machine still has in flight (one that writes behind its
   * `apply` calls drains its queue here). A rejection is emitted as an `error` event; the
   * replica closes its storage all the same.
   */
  close?(): void | Promise<void>;
}

/** A snapshot handed to {@link StateMachine.restoreChunks}: its bytes arrive in chunks. */
export interface StateMachineSnapshotStream {
  /** The last log index the snapshot covers; the new `appliedIndex()`. */
  index: number;
  /** The term of the entry at `index`. */
  term: number;
  /** The snapshot's bytes, in chunks (read them all, in order). */
  chunks: AsyncIterable<Uint8Array>;
}

/** One committed application command, as passed to {@link StateMachine.apply}. */
export interface Command {
  /** The log index of the entry; persist it with the effects (see {@link StateMachine}). */
  index: number;
  /** The term of the entry. */
  term: number;
  /**
   * The command bytes given to `Replica.propose`. A view that may share its `ArrayBuffer` with
   * other commands' bytes (the replica carves small ones from shared pools): read it through
   * its own offset and length, never its whole `buffer`, do not write to it, and copy it before
   * transferring its buffer to a worker (that would detach the other commands' bytes too).
   */
  data: Uint8Array;
}

/** A snapshot handed to {@link StateMachine.restore}. */
export interface StateMachineSnapshot {
  /** The last log index the snapshot covers; the new `appliedIndex()`. */
  index: number;
  /** The term of the entry at `index`. */
  term: number;
  /** The bytes returned by {@link StateMachine.snapshot}. */
  data: Uint8Array;
}
