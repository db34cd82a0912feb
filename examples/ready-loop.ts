/**
 * Driving RaftNode by hand: three nodes in one process, a list of messages as the network, and
 * the Ready contract in one function (persist, send, apply, advance). Run: `npm run demo:core`.
 */
import { EntryType, MemoryStorage, RaftNode, RoleName, StateType, decodeConfChange, type Message } from 'raftkit';

const ids = [1, 2, 3];
const network: Message[] = []; // in flight; a real program sends them over its transport
const applied = new Map<number, string[]>(ids.map((id) => [id, []]));
const nodes = new Map(ids.map((id) => {
  const storage = new MemoryStorage({ voters: ids });
  // Time is ticks (electionTick 10 ticks); the seed makes the randomized election timeout replayable.
  return [id, { storage, node: new RaftNode({ id, storage, electionTick: 10, heartbeatTick: 1, preVote: true, checkQuorum: true, seed: id }) }];
}));

/** Handles every pending Ready of node `id`, in the order the contract requires. */
function drain(id: number): void {
  const { node, storage } = nodes.get(id)!;
  while (node.hasReady()) {
    const rd = node.ready();
    // 1. Persist the hard state, entries and snapshot (fsync when rd.mustSync) before anything else.
    storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    // 2. Send: rd.messages could go out before the write; rd.persistedMessages only after it.
    network.push(...rd.messages, ...rd.persistedMessages);
    // 3. Apply the committed entries: conf changes to the node, commands to the state machine.
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryConfChange) node.applyConfChange(decodeConfChange(e.data));
      else if (e.data.length > 0) applied.get(id)!.push(new TextDecoder().decode(e.data));
    }
    if (rd.softState !== undefined) console.log(`node ${id}: ${RoleName[rd.softState.raftState]}, term ${node.status().term}`);
    // 4. Tell the node this Ready is done.
    node.advance(rd);
  }
}

/** Delivers messages until the cluster is quiet. */
function settle(): void {
  for (;;) {
    for (const id of ids) drain(id);
    const batch = network.splice(0);
    if (batch.length === 0) return;
    for (const m of batch) nodes.get(m.to)!.node.step(m);
  }
}

const leader = (): number | undefined => ids.find((id) => nodes.get(id)!.node.status().raftState === StateType.Leader);
let ticks = 0;
while (leader() === undefined && ticks < 100) {
  ticks++;
  for (const id of ids) nodes.get(id)!.node.tick(); // a real program ticks every ~100 ms
  settle();
}
const l = leader();
if (l === undefined) throw new Error('no leader after 100 ticks');
console.log(`node ${l} leads after ${ticks} ticks`);

for (const cmd of ['x=1', 'y=2', 'z=3']) nodes.get(l)!.node.propose(new TextEncoder().encode(cmd));
settle();
for (const id of ids) console.log(`node ${id} applied ${applied.get(id)!.join(' ')} (commit ${nodes.get(id)!.node.status().commit})`);
const same = ids.every((id) => applied.get(id)!.join() === 'x=1,y=2,z=3');
console.log(same ? 'every node applied the same commands' : 'NODES DIVERGED');
if (!same) process.exitCode = 1;
