import { decodeConfChange, decodeConfChangeV2, type ConfChangeV2 } from './conf-change.js';
import { EntryType, type ConfState, type Entry, type HardState, type Snapshot } from './entry.js';
import { MessageTypeName, type Message } from './messages.js';
import { StateTypeName, type Ready, type SoftState } from './ready.js';

/** Formats entry data for humans: text when printable, hex otherwise. */
export type DataFormatter = (data: Uint8Array) => string;

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The default {@link DataFormatter}: quoted text when printable ASCII, else hex. */
export function defaultDataFormatter(data: Uint8Array): string {
  let printable = true;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c < 0x20 || c > 0x7e) {
      printable = false;
      break;
    }
  }
  if (printable) return `"${decoder.decode(data)}"`;
  let hex = '';
  for (let i = 0; i < data.length; i++) hex += data[i]!.toString(16).padStart(2, '0');
  return `0x${hex}`;
}

const CHANGE_NAMES = ['v', 'r', 'u', 'l'] as const;

/** Describes a V2 conf change in etcd's compact notation, e.g. `v2 r3 l4` (v=voter, r=remove, u=update, l=learner). */
export function describeConfChangeV2(cc: ConfChangeV2): string {
  if (cc.changes.length === 0) return 'leave-joint';
  return cc.changes.map((c) => `${CHANGE_NAMES[c.type] ?? '?'}${c.nodeId}`).join(' ');
}

/** Describes an entry: `term/index EntryType data`. */
export function describeEntry(e: Entry, f: DataFormatter = defaultDataFormatter): string {
  const head = `${e.term}/${e.index}`;
  try {
    if (e.type === EntryType.EntryConfChange) {
      const cc = decodeConfChange(e.data);
      return `${head} EntryConfChange ${CHANGE_NAMES[cc.type] ?? '?'}${cc.nodeId}`;
    }
    if (e.type === EntryType.EntryConfChangeV2) return `${head} EntryConfChangeV2 ${describeConfChangeV2(decodeConfChangeV2(e.data))}`;
  } catch {
    return `${head} ${e.type === EntryType.EntryConfChange ? 'EntryConfChange' : 'EntryConfChangeV2'} <malformed>`;
  }
  return e.data.length === 0 ? `${head} EntryNormal ""` : `${head} EntryNormal ${f(e.data)}`;
}

/** Describes a configuration, e.g. `Voters:[1 2 3] VotersOutgoing:[1 2] Learners:[4] LearnersNext:[] AutoLeave:false`. */
export function describeConfState(cs: ConfState): string {
  const l = (a: readonly number[]): string => `[${[...a].sort((x, y) => x - y).join(' ')}]`;
  return `Voters:${l(cs.voters)} VotersOutgoing:${l(cs.votersOutgoing)} Learners:${l(cs.learners)} LearnersNext:${l(cs.learnersNext)} AutoLeave:${String(cs.autoLeave)}`;
}

/** Describes a snapshot's metadata. */
export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:${describeConfState(s.metadata.confState)}`;
}

/** Describes a hard state; `Vote` is omitted when there is none (as in etcd). */
export function describeHardState(hs: HardState): string {
  return `Term:${hs.term}${hs.vote !== 0 ? ` Vote:${hs.vote}` : ''} Commit:${hs.commit}`;
}

/** Describes a soft state. */
export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${StateTypeName[ss.raftState]}`;
}

/**
 * Describes a message in one line, e.g. `1->2 MsgApp Term:2 Log:1/3 Commit:3 Entries:[2/4 EntryNormal "x"]`,
 * the canonical text used by logs and golden tests.
 */
export function describeMessage(m: Message, f: DataFormatter = defaultDataFormatter): string {
  let s = `${m.from}->${m.to} ${MessageTypeName[m.type]} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map((e) => describeEntry(e, f)).join(', ')}]`;
  if (m.snapshot !== undefined && m.snapshot.metadata.index !== 0) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  if (m.context !== undefined && m.context.length > 0) s += ` Context:${f(m.context)}`;
  return s;
}

/** Describes a Ready in several lines, one section per non-empty field; empty string when empty. */
export function describeReady(rd: Ready, f: DataFormatter = defaultDataFormatter): string {
  const out: string[] = [];
  if (rd.softState !== undefined) out.push(describeSoftState(rd.softState));
  if (rd.hardState !== undefined) out.push(`HardState ${describeHardState(rd.hardState)}`);
  if (rd.readStates.length > 0) {
    out.push(`ReadStates ${rd.readStates.map((rs) => `${rs.index}:${f(rs.requestCtx)}`).join(' ')}`);
  }
  if (rd.entries.length > 0) out.push('Entries:', ...rd.entries.map((e) => describeEntry(e, f)));
  if (rd.snapshot !== undefined) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) out.push('CommittedEntries:', ...rd.committedEntries.map((e) => describeEntry(e, f)));
  if (rd.messages.length > 0) out.push('Messages:', ...rd.messages.map((m) => describeMessage(m, f)));
  if (rd.persistedMessages.length > 0) out.push('PersistedMessages:', ...rd.persistedMessages.map((m) => describeMessage(m, f)));
  return out.join('\n');
}
