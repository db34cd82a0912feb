import { expect, test } from 'vitest';
import { differentialProcessPair } from './differential-pair.js';
import { ctlRunNormalized, etcdctl } from './helpers.js';

// etcdctl's member commands, run the same way against a real single-member etcd 3.4 and a
// single-member `raftkit` process: add (a learner, a second learner refused, and last a voter, which
// a single member may add), list in both formats, promote (refused: not in sync), update, remove,
// and an unknown id. Exit codes,
// stdout and stderr must be the same once member and cluster ids (by order of appearance) and each
// side's own name and URLs are replaced; the order of members (by id, which differs) is not compared.
// The list after an update is left out: etcd 3.4 shows an updated learner as a voter, raftkit keeps
// the flag (a deliberate difference, pinned in cluster-differential.test.ts).

const pair = differentialProcessPair('c1');

interface Self { id: string; name: string; peer: string; client: string; cluster: string }

/** A side's own member and cluster, from `member list -w json` (ids in decimal there, hex everywhere else). */
async function self(url: string): Promise<Self> {
  const raw = (await etcdctl([new URL(url).host], ['member', 'list', '-w', 'json'])).stdout;
  const out = JSON.parse(raw) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] };
  // JSON numbers above 2^53 lose digits: the ids are read from the raw text instead.
  const dec = (field: string): string => BigInt(/"(\w+)":(\d+)/g.exec(raw.slice(raw.indexOf(`"${field}"`)))![2]!).toString(16);
  const me = out.members[0]!;
  return { id: dec('member_id'), cluster: dec('cluster_id'), name: me.name, peer: me.peerURLs[0]!, client: me.clientURLs[0]! };
}

/** One side's output with its ids and own member replaced, member rows and initial-cluster entries sorted. */
function normalize(text: string, endpoint: string, me: Self, ids: Map<string, string>): string {
  // Table cells are compared, not the column widths (ids and names differ in length).
  let t = ctlRunNormalized(text, endpoint).split('\n').filter((l) => !l.startsWith('+-')).map((l) => (l.startsWith('|') ? l.split('|').map((c) => c.trim()).join('|') : l)).join('\n');
  t = t.replaceAll(me.peer, '<self-peer>').replaceAll(me.client, '<self-client>').replace(new RegExp(`\\b${me.name}\\b`, 'g'), '<self-name>');
  t = t.replace(/\b[0-9a-f]{12,16}\b/g, (id) => {
    if (id === me.id) return '<self-id>';
    if (id === me.cluster) return '<cluster>';
    if (!ids.has(id)) ids.set(id, `<member ${ids.size + 1}>`);
    return ids.get(id)!;
  });
  // etcdctl pads hex ids to 16 digits (`%16x`): raftkit's 52-bit ids get leading spaces.
  t = t.replace(/ +(?=<self-id>|<member \d+>|<cluster>)/g, ' ');
  t = t.replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`);
  const lines = t.split('\n');
  const rows = lines.filter((l) => /^\|?(<self-id>|<member \d+>)/.test(l)).sort();
  let r = 0;
  return lines.map((l) => (/^\|?(<self-id>|<member \d+>)/.test(l) ? rows[r++]! : l)).join('\n');
}

test('member add, list, promote, update and remove print what etcd prints, and refuse what it refuses', async () => {
  const sides = await Promise.all([pair.etcd.url, pair.raftkitUrl].map(async (url) => ({ ep: [new URL(url).host], me: await self(url), ids: new Map<string, string>(), added: '' })));
  const steps: ((s: (typeof sides)[number]) => string[])[] = [
    () => ['member', 'list'],
    () => ['member', 'add', 'm2', '--learner', '--peer-urls=http://127.0.0.1:2'],
    () => ['member', 'list', '-w', 'table'],
    () => ['member', 'list'],
    () => ['member', 'add', 'm3', '--learner', '--peer-urls=http://127.0.0.1:3'],
    (s) => ['member', 'promote', s.added],
    (s) => ['member', 'update', s.added, '--peer-urls=http://127.0.0.1:5'],
    (s) => ['member', 'remove', s.added],
    (s) => ['member', 'remove', s.added],
    (s) => ['member', 'update', s.added, '--peer-urls=http://127.0.0.1:6'],
    () => ['member', 'list', '-w', 'table'],
    // Last, as it leaves both without a quorum: a single member may add a voter (etcd's way to grow one member).
    () => ['member', 'add', 'm4', '--peer-urls=http://127.0.0.1:4'],
  ];
  const exits: number[] = [];
  for (const [i, step] of steps.entries()) {
    const seen: string[] = [];
    for (const s of sides) {
      const args = step(s);
      const r = await etcdctl(s.ep, args);
      if (args[1] === 'add' && r.code === 0 && s.added === '') s.added = /Member\s+(\w+) added/.exec(r.stdout)?.[1] ?? `unparsed: ${r.stdout}`;
      seen.push(`exit ${r.code}\n${normalize(r.stdout, s.ep[0]!, s.me, s.ids)}\n${normalize(r.stderr, s.ep[0]!, s.me, s.ids)}`);
      if (s === sides[0]) exits.push(r.code);
    }
    expect(seen[1], `step ${i}: ${step(sides[1]!).join(' ')}`).toBe(seen[0]);
  }
  // The run met each outcome: adds, refusals (second learner, promotion, unknown id), update, remove.
  expect(exits).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
}, 60_000);
