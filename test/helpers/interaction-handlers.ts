import {
  ConfChangeTransition,
  ConfChangeType,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeV2,
} from '../../src/raft/conf-change.js';
import { describeEntry } from '../../src/raft/describe.js';
import { emptyConfState, type Snapshot } from '../../src/raft/entry.js';
import { StateType, StateTypeName } from '../../src/raft/ready.js';
import { parseCommandLine, type CmdArg, type TestData } from './datadriven.js';
import { InteractionEnv, LOG_LEVELS, describeError, type EnvNode, type LogLevel } from './interaction-env.js';

/**
 * The commands of the interaction scenarios (etcd's rafttest command names). Each handler
 * prints into `env.out`; a stanza that prints nothing answers `ok`. Input lines of any
 * command but `propose-conf-change` are run as further commands.
 *
 * | command | effect |
 * | --- | --- |
 * | `log-level LEVEL` | debug, info (default), warn, error or none |
 * | `add-nodes N [voters=(..)] [learners=(..)] [index=I] [content=S] [prevote=true] [checkquorum=true] [inflight=K] [read-only=safe\|lease-based] [step-down-on-removal=true]` | adds N nodes with the next ids |
 * | `campaign ID` / `propose ID DATA` / `forget-leader ID` / `read-index ID CTX` | the RaftNode calls |
 * | `propose-conf-change ID [v1=true] [transition=auto\|implicit\|explicit]` + input `v2 r3 l4 u5` | a conf change (empty input: leave joint) |
 * | `tick-heartbeat ID` / `tick-election ID` | one heartbeat interval / ticks until the election timer fires |
 * | `stabilize [IDs]` / `process-ready IDs` / `deliver-msgs [IDs] [drop=(IDs)]` | Ready handling and message delivery |
 * | `status ID` / `raft-log ID` / `raft-state` | inspection |
 * | `compact ID INDEX` | compact the log up to INDEX (≤ applied; the storage keeps a snapshot at the applied index) |
 * | `transfer-leadership from=A to=B` / `report-unreachable ID PEER` | leadership transfer, unreachable report |
 * | `restart ID` / `isolate ID` / `heal` | crash-restart from storage; cut / restore links |
 */
export function handle(env: InteractionEnv, d: TestData): string {
  run(env, d);
  // Every command but propose-conf-change takes no input, so its input lines are further
  // commands run in order (handy for setup: `log-level none`, `add-nodes …`, `stabilize`).
  if (d.cmd !== 'propose-conf-change' && d.input !== '') {
    for (const line of d.input.split('\n')) run(env, { ...d, ...parseCommandLine(line), input: '' });
  }
  const s = env.out.take();
  return s === '' ? 'ok' : s;
}

function run(env: InteractionEnv, d: TestData): void {
  const fn = HANDLERS[d.cmd];
  if (fn === undefined) throw new Error(`${d.file}:${d.line}: unknown command ${d.cmd}`);
  try {
    fn(env, d);
  } catch (err) {
    env.out.write(describeError(err));
  }
}

type Handler = (env: InteractionEnv, d: TestData) => void;

const enc = new TextEncoder();

function positional(d: TestData): string[] {
  return d.args.filter((a) => a.vals.length === 0).map((a) => a.key);
}

function ints(d: TestData): number[] {
  return positional(d).map((s) => toInt(s, d));
}

function toInt(s: string, d: TestData): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`${d.file}:${d.line}: expected an integer, got ${s}`);
  return n;
}

function firstInt(d: TestData): number {
  const [s] = positional(d);
  if (s === undefined) throw new Error(`${d.file}:${d.line}: ${d.cmd} needs a node id`);
  return toInt(s, d);
}

function arg(d: TestData, key: string): CmdArg | undefined {
  return d.args.find((a) => a.key === key && a.vals.length > 0);
}

function intArg(d: TestData, key: string): number | undefined {
  const a = arg(d, key);
  return a === undefined ? undefined : toInt(a.vals[0]!, d);
}

function boolArg(d: TestData, key: string): boolean | undefined {
  const a = arg(d, key);
  return a === undefined ? undefined : a.vals[0] === 'true';
}

function addNodes(env: InteractionEnv, d: TestData): void {
  const count = firstInt(d);
  const voters = arg(d, 'voters')?.vals.map((v) => toInt(v, d));
  const learners = arg(d, 'learners')?.vals.map((v) => toInt(v, d));
  const index = intArg(d, 'index');
  let snap: Snapshot | undefined;
  if (voters !== undefined || learners !== undefined || index !== undefined) {
    const confState = { ...emptyConfState(), voters: voters ?? [], learners: learners ?? [] };
    const content = arg(d, 'content')?.vals[0] ?? '';
    snap = { data: enc.encode(content), metadata: { index: index ?? 0, term: index === undefined ? 0 : 1, confState } };
  }
  const config: EnvNode['config'] = { electionTick: 3, heartbeatTick: 1 };
  const prevote = boolArg(d, 'prevote');
  if (prevote !== undefined) config.preVote = prevote;
  const cq = boolArg(d, 'checkquorum');
  if (cq !== undefined) config.checkQuorum = cq;
  const inflight = intArg(d, 'inflight');
  if (inflight !== undefined) config.maxInflightMsgs = inflight;
  const ro = arg(d, 'read-only')?.vals[0];
  if (ro === 'safe' || ro === 'lease-based') config.readOnlyOption = ro;
  else if (ro !== undefined) throw new Error(`invalid read-only option ${ro}`);
  const sdr = boolArg(d, 'step-down-on-removal');
  if (sdr !== undefined) config.stepDownOnRemoval = sdr;
  env.addNodes(count, config, snap);
}

const CHANGE_LETTERS: Record<string, ConfChangeType> = {
  v: ConfChangeType.ConfChangeAddNode,
  r: ConfChangeType.ConfChangeRemoveNode,
  u: ConfChangeType.ConfChangeUpdateNode,
  l: ConfChangeType.ConfChangeAddLearnerNode,
};

function parseChanges(input: string, d: TestData): ConfChangeSingle[] {
  return input
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => {
      const type = CHANGE_LETTERS[t[0] ?? ''];
      if (type === undefined) throw new Error(`${d.file}:${d.line}: bad conf change ${t} (want v|r|u|l followed by an id)`);
      return { type, nodeId: toInt(t.slice(1), d) };
    });
}

const TRANSITIONS: Record<string, ConfChangeTransition> = {
  auto: ConfChangeTransition.ConfChangeTransitionAuto,
  implicit: ConfChangeTransition.ConfChangeTransitionJointImplicit,
  explicit: ConfChangeTransition.ConfChangeTransitionJointExplicit,
};

function proposeConfChange(env: InteractionEnv, d: TestData): void {
  const n = env.get(firstInt(d));
  const changes = parseChanges(d.input, d);
  if (boolArg(d, 'v1') === true) {
    const [c] = changes;
    if (c === undefined || changes.length !== 1) throw new Error(`${d.file}:${d.line}: v1 takes exactly one change`);
    const cc: ConfChange = { type: c.type, nodeId: c.nodeId };
    n.node.proposeConfChange(cc);
    return;
  }
  const t = arg(d, 'transition')?.vals[0] ?? 'auto';
  const transition = TRANSITIONS[t];
  if (transition === undefined) throw new Error(`${d.file}:${d.line}: unknown transition ${t}`);
  const cc: ConfChangeV2 = { transition, changes };
  n.node.proposeConfChange(cc);
}

function tickElection(env: InteractionEnv, d: TestData): void {
  const n = env.get(firstInt(d));
  const r = n.node.internal;
  // Tick until the election timer fires: the randomized timeout for followers and
  // candidates, the plain election timeout (the quorum check) for leaders.
  const target = r.state === StateType.Leader ? r.electionTimeout : r.randomizedElectionTimeout;
  const ticks = Math.max(1, target - r.electionElapsed);
  for (let i = 0; i < ticks; i++) n.node.tick();
}

function tickHeartbeat(env: InteractionEnv, d: TestData): void {
  const n = env.get(firstInt(d));
  const ticks = n.node.internal.heartbeatTimeout;
  for (let i = 0; i < ticks; i++) n.node.tick();
}

/** Runs `fn` per id, with a `> id <what>` header when there are several. */
function perNode(env: InteractionEnv, ids: number[], what: string, fn: (id: number) => void): void {
  if (ids.length === 1) return fn(ids[0]!);
  for (const id of ids) {
    env.out.write(`> ${id} ${what}`);
    env.out.indented(() => fn(id));
  }
}

function deliverMsgs(env: InteractionEnv, d: TestData): void {
  const drop = arg(d, 'drop')?.vals.map((v) => toInt(v, d)) ?? [];
  for (const id of drop) env.deliverMsgs(id, true);
  let ids = ints(d);
  if (ids.length === 0 && drop.length === 0) ids = env.ids().filter((id) => env.hasMessagesFor(id));
  perNode(env, ids, 'receiving messages', (id) => void env.deliverMsgs(id));
}

const PR_STATE = { probe: 'StateProbe', replicate: 'StateReplicate', snapshot: 'StateSnapshot' } as const;

function status(env: InteractionEnv, d: TestData): void {
  const n = env.get(firstInt(d));
  const s = n.node.status();
  env.out.write(`${s.id}: ${StateTypeName[s.raftState]} Term:${s.term} Vote:${s.vote} Commit:${s.commit} Applied:${s.applied} Lead:${s.lead}`);
  if (s.progress === undefined) return;
  for (const id of [...s.progress.keys()].sort((a, b) => a - b)) {
    const p = s.progress.get(id)!;
    let line = `${id}: ${PR_STATE[p.state]} match=${p.match} next=${p.next}`;
    if (p.isLearner) line += ' learner';
    if (p.paused) line += ' paused';
    if (p.inflight > 0) line += ` inflight=${p.inflight}`;
    if (p.state === 'snapshot') line += ` pendingSnap=${p.pendingSnapshot}`;
    if (!p.recentActive) line += ' inactive';
    env.out.write(line);
  }
}

function raftLog(env: InteractionEnv, d: TestData): void {
  const st = env.get(firstInt(d)).storage;
  const first = st.firstIndex();
  const last = st.lastIndex();
  if (last < first) {
    env.out.write(`log is empty: first index=${first}, last index=${last}`);
    return;
  }
  for (const e of st.entries(first, last + 1, Infinity)) env.out.write(describeEntry(e));
}

function raftState(env: InteractionEnv): void {
  for (const id of env.ids()) {
    const n = env.get(id);
    const s = n.node.status();
    const cs = s.config;
    const role = cs.voters.includes(id) || cs.votersOutgoing.includes(id) ? 'Voter' : cs.learners.includes(id) ? 'Learner' : 'Non-Voter';
    const iso = env.isolated.has(id) ? ' isolated' : '';
    env.out.write(`${id}: ${StateTypeName[s.raftState]} (${role}) Term:${s.term} Lead:${s.lead}${iso}`);
  }
}

function compact(env: InteractionEnv, d: TestData): void {
  const [id, index] = ints(d);
  if (id === undefined || index === undefined) throw new Error(`${d.file}:${d.line}: compact ID INDEX`);
  const n = env.get(id);
  if (index > n.applied) throw new Error(`${d.file}:${d.line}: cannot compact ${id} to ${index} beyond applied ${n.applied}`);
  n.storage.compact(index);
  raftLog(env, d);
}

function restart(env: InteractionEnv, d: TestData): void {
  const old = env.get(firstInt(d));
  env.makeNode(old.id, old.storage, old.config, old.applied, old.confState);
}

function setLogLevel(env: InteractionEnv, d: TestData): void {
  const lvl = positional(d)[0];
  if (!LOG_LEVELS.includes(lvl as LogLevel)) throw new Error(`${d.file}:${d.line}: unknown log level ${String(lvl)}`);
  env.logLevel = lvl as LogLevel;
}

const HANDLERS: Record<string, Handler> = {
  'log-level': setLogLevel,
  'add-nodes': addNodes,
  campaign: (env, d) => env.get(firstInt(d)).node.campaign(),
  propose: (env, d) => env.get(firstInt(d)).node.propose(enc.encode(positional(d)[1] ?? '')),
  'propose-conf-change': proposeConfChange,
  'tick-election': tickElection,
  'tick-heartbeat': tickHeartbeat,
  stabilize: (env, d) => env.stabilize(ints(d)),
  'process-ready': (env, d) => perNode(env, ints(d), 'handling Ready', (id) => void env.processReady(id)),
  'deliver-msgs': deliverMsgs,
  status,
  'raft-log': raftLog,
  'raft-state': raftState,
  compact,
  'transfer-leadership': (env, d) => {
    const from = intArg(d, 'from');
    const to = intArg(d, 'to');
    if (from === undefined || to === undefined) throw new Error(`${d.file}:${d.line}: transfer-leadership from=A to=B`);
    env.get(from).node.transferLeader(to);
  },
  'forget-leader': (env, d) => env.get(firstInt(d)).node.forgetLeader(),
  'read-index': (env, d) => env.get(firstInt(d)).node.readIndex(enc.encode(positional(d)[1] ?? '')),
  'report-unreachable': (env, d) => {
    const [id, peer] = ints(d);
    if (id === undefined || peer === undefined) throw new Error(`${d.file}:${d.line}: report-unreachable ID PEER`);
    env.get(id).node.reportUnreachable(peer);
  },
  restart,
  isolate: (env, d) => void env.isolated.add(firstInt(d)),
  heal: (env) => env.isolated.clear(),
};
