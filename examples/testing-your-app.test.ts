/**
 * Testing your own replicated state machine with raftkit's simulator.
 *
 * The application: a bank ledger. Accounts can be credited and debited, and a debit that
 * would make a balance negative is refused. We run it on a simulated five-member cluster under
 * random faults (partitions, message loss and duplication, crashes, pauses, clock skew, slow
 * disks), drive clients against it, and then check that
 *   1. the history of client operations is linearizable against a model of the ledger;
 *   2. no member's balance ever went negative;
 *   3. every member ends with the same balances.
 * Everything runs on virtual time from one seed: a failure prints the command that replays it.
 */
import { describe, expect, test } from 'vitest';
import type { Command, StateMachine, StateMachineSnapshot } from 'raftkit';
import { SimCluster, checkLinearizable, runWorkload, type Model } from 'raftkit/testing';

type Account = 'alice' | 'bob';
const ACCOUNTS: readonly Account[] = ['alice', 'bob'];

/** What clients ask for. */
type LedgerInput =
  | { op: 'credit'; account: Account; amount: number }
  | { op: 'debit'; account: Account; amount: number }
  | { op: 'balance'; account: Account };

/** What clients see. */
type LedgerOutput = { op: 'credit' } | { op: 'debit'; accepted: boolean } | { op: 'balance'; amount: number };

type Balances = Readonly<Record<Account, number>>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The replicated ledger. It needs no request ids of its own: the Replica applies each
 * proposal exactly once, even when the network duplicates it and the leader commits it twice
 * (client sessions, Raft thesis §6.3).
 */
class Ledger implements StateMachine<LedgerOutput> {
  balances: Record<Account, number> = { alice: 0, bob: 0 };
  applied = 0;
  wentNegative = false;

  appliedIndex(): number {
    return this.applied;
  }

  apply(commands: readonly Command[]): LedgerOutput[] {
    return commands.map((c) => {
      this.applied = c.index;
      const out = this.execute(JSON.parse(dec.decode(c.data)) as LedgerInput);
      if (this.balances.alice < 0 || this.balances.bob < 0) this.wentNegative = true;
      return out;
    });
  }

  execute(input: LedgerInput): LedgerOutput {
    switch (input.op) {
      case 'credit':
        this.balances[input.account] += input.amount;
        return { op: 'credit' };
      case 'debit': {
        const accepted = this.balances[input.account] >= input.amount;
        if (accepted) this.balances[input.account] -= input.amount;
        return { op: 'debit', accepted };
      }
      case 'balance':
        return { op: 'balance', amount: this.balances[input.account] };
    }
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify(this.balances));
  }

  restore(s: StateMachineSnapshot): void {
    this.balances = JSON.parse(dec.decode(s.data)) as Record<Account, number>;
    this.applied = s.index;
  }
}

/** The sequential specification the checker compares the history with. */
const ledgerModel: Model<Balances, LedgerInput, LedgerOutput> = {
  init: () => ({ alice: 0, bob: 0 }),
  step(state, input, output) {
    if (output !== undefined && output.op !== input.op) return { ok: false };
    const balance = state[input.account];
    switch (input.op) {
      case 'credit':
        return { ok: true, state: { ...state, [input.account]: balance + input.amount } };
      case 'debit': {
        const accepted = balance >= input.amount;
        if (output?.op === 'debit' && output.accepted !== accepted) return { ok: false };
        return { ok: true, state: accepted ? { ...state, [input.account]: balance - input.amount } : state };
      }
      case 'balance':
        return output?.op === 'balance' && output.amount !== balance ? { ok: false } : { ok: true, state };
    }
  },
  hash: (state) => `${state.alice}/${state.bob}`,
  describeOperation(input, output) {
    const result = output === undefined ? ' -> ?' : output.op === 'debit' ? ` -> ${output.accepted ? 'accepted' : 'refused'}` : output.op === 'balance' ? ` -> ${output.amount}` : '';
    return `${input.op} ${input.account}${input.op === 'balance' ? '' : ` ${input.amount}`}${result}`;
  },
};

const seeds = process.env.RAFT_SEED !== undefined ? [Number(process.env.RAFT_SEED)] : [1, 2, 3, 4, 5, 6, 7, 8];

describe('the ledger stays correct under faults', () => {
  for (const seed of seeds) {
    test(`seed ${seed}`, async () => {
      const ledgers = new Map<number, Ledger[]>();
      const sim = await SimCluster.start<LedgerOutput>({
        seed,
        members: 5,
        // A fresh ledger for each start: after a crash it is rebuilt from the snapshot and log.
        stateMachine: (id) => {
          const l = new Ledger();
          ledgers.set(id, [...(ledgers.get(id) ?? []), l]);
          return l;
        },
        replica: { snapshotEvery: 25, compactionTail: 5 },
      });
      const replay = sim.replayCommand('examples/testing-your-app.test.ts', `seed ${seed}`);
      await sim.runUntil(() => sim.leader() !== undefined);
      sim.chaos();

      const { recorder } = await runWorkload<LedgerInput, LedgerOutput, LedgerOutput>(sim, {
        clients: 4,
        ops: 200,
        generate(rng) {
          const account = ACCOUNTS[rng.nextInt(ACCOUNTS.length)]!;
          const x = rng.nextFloat();
          if (x < 0.3) return { op: 'balance', input: { op: 'balance', account }, readOnly: true };
          const amount = 1 + rng.nextInt(20);
          return x < 0.6 ? { op: 'credit', input: { op: 'credit', account, amount } } : { op: 'debit', input: { op: 'debit', account, amount } };
        },
        async execute(replica, input, { id, timeoutMs }) {
          if (input.op === 'balance') {
            const ledger = ledgers.get(id)!.at(-1)!; // this run's ledger, before the read
            await replica.read({ timeoutMs });
            return { op: 'balance', amount: ledger.balances[input.account] };
          }
          return replica.propose(enc.encode(JSON.stringify(input)), { timeoutMs });
        },
      });

      await sim.heal();
      await sim.settle({ timeoutMs: 30_000 });

      const result = checkLinearizable(recorder.history(), ledgerModel);
      if (result.ok !== true) expect.fail(`${result.ok === false ? result.explanation : 'no verdict'}\nreplay: ${replay}\n${sim.trace.tail(100)}`);
      const final = [...ledgers.values()].map((runs) => runs.at(-1)!);
      for (const runs of ledgers.values()) for (const l of runs) expect(l.wentNegative, replay).toBe(false);
      for (const l of final) expect(l.balances, replay).toEqual(final[0]!.balances);
    });
  }
});
