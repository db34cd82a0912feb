/**
 * The raftkit demo: three RaftNodes in one process, each driven through the Ready loop
 * by hand, over an in-memory "network". It shows an election, replicated commits, the
 * leader being isolated and replaced, and the old leader catching up after it returns.
 *
 * Run it with `npm run demo:core`.
 */
import {
  EntryType,
  MemoryStorage,
  RaftNode,
  StateType,
  decodeConfChange,
  type Message,
  type Ready,
} from '../src/index.js';

interface Member {
  id: number;
  node: RaftNode;
  storage: MemoryStorage;
  applied: string[];
}

const ids = [1, 2, 3];
const dec = new TextDecoder();
const enc = new TextEncoder();
const members = new Map<number, Member>();
for (const id of ids) {
  const storage = new MemoryStorage({ voters: ids });
  const node = new RaftNode({ id, storage, electionTick: 10, heartbeatTick: 1, preVote: true, checkQuorum: true, seed: id });
  members.set(id, { id, node, storage, applied: [] });
}

let inFlight: Message[] = [];
const isolated = new Set<number>();
let ticks = 0;

function log(line: string): void {
  console.log(`[tick ${String(ticks).padStart(3)}] ${line}`);
}

/** The Ready loop of one member: persist, send, apply, advance. */
function handleReady(m: Member, rd: Ready): void {
  if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
  m.storage.append(rd.entries);
  if (rd.hardState) m.storage.setHardState(rd.hardState);
  inFlight.push(...rd.messages, ...rd.persistedMessages);
  for (const e of rd.committedEntries) {
    if (e.type === EntryType.EntryConfChange) m.node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) m.applied.push(dec.decode(e.data));
  }
  if (rd.softState && rd.softState.raftState === StateType.Leader) log(`node ${m.id} became leader of term ${m.node.status().term}`);
  m.node.advance(rd);
}

function step(): void {
  for (;;) {
    let busy = false;
    for (const m of members.values()) {
      while (m.node.hasReady()) {
        busy = true;
        handleReady(m, m.node.ready());
      }
    }
    const batch = inFlight;
    inFlight = [];
    for (const msg of batch) {
      if (isolated.has(msg.from) || isolated.has(msg.to)) continue;
      busy = true;
      members.get(msg.to)!.node.step(msg);
    }
    if (!busy) return;
  }
}

function tick(n: number): void {
  for (let i = 0; i < n; i++) {
    ticks++;
    for (const m of members.values()) m.node.tick();
    step();
  }
}

function leader(): Member | undefined {
  return [...members.values()].find((m) => m.node.status().raftState === StateType.Leader && !isolated.has(m.id));
}

function waitForLeader(): Member {
  for (let i = 0; i < 200; i++) {
    const l = leader();
    if (l) return l;
    tick(1);
  }
  throw new Error('no leader elected');
}

function propose(l: Member, value: string): void {
  l.node.propose(enc.encode(value));
  step();
}

console.log('raftkit demo: 3 RaftNodes in one process, driven through the Ready loop\n');
let l = waitForLeader();
for (const v of ['x=1', 'y=2', 'z=3']) propose(l, v);
tick(2);
log(`committed on every node: ${ids.map((id) => `${id}:[${members.get(id)!.applied.join(' ')}]`).join(' ')}`);

const old = l;
log(`isolating leader ${old.id}`);
isolated.add(old.id);
l = waitForLeader();
const os = old.node.status();
log(
  `node ${l.id} took over (term ${l.node.status().term}); the isolated node ${old.id} is ${os.raftState === StateType.Leader ? 'still a leader' : 'no longer a leader (CheckQuorum made it step down)'} in term ${os.term}`,
);
for (const v of ['x=10', 'w=4']) propose(l, v);
tick(2);

log(`healing the partition`);
isolated.clear();
tick(5);
log(`node ${old.id} is now ${old.node.status().raftState === StateType.Follower ? 'a follower' : 'not a follower'} of ${old.node.status().lead}`);
for (const id of ids) log(`node ${id} applied [${members.get(id)!.applied.join(' ')}] commit=${members.get(id)!.node.status().commit}`);
const same = ids.every((id) => members.get(id)!.applied.join() === members.get(ids[0]!)!.applied.join());
console.log(same ? '\nall nodes applied the same log' : '\nLOGS DIVERGED');
if (!same) process.exitCode = 1;
