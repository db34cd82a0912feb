/**
 * The outcome of counting votes against a quorum configuration (etcd's `quorum.VoteResult`).
 */
export const VoteResult = {
  /** Neither a winning nor a losing quorum has been reached yet: some votes are missing. */
  VotePending: 1,
  /** A quorum of "yes" votes is no longer possible, even if every missing vote were "yes". */
  VoteLost: 2,
  /** A quorum of "yes" votes has been reached. */
  VoteWon: 3,
} as const;

/** One of the {@link VoteResult} values. */
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** The display name of each {@link VoteResult}, as etcd prints it. */
export const VoteResultName: Readonly<Record<VoteResult, string>> = {
  [VoteResult.VotePending]: 'VotePending',
  [VoteResult.VoteLost]: 'VoteLost',
  [VoteResult.VoteWon]: 'VoteWon',
};

/**
 * Looks up the acknowledged (match) index of a voter; undefined when unknown.
 *
 * Called once per voter on every commit computation, so implementations should not allocate.
 */
export type AckedIndexer = (id: number) => number | undefined;

/**
 * Builds an {@link AckedIndexer} over a plain map of id → acknowledged index. Meant for tests
 * and tools; the leader uses the tracker's own indexer over its progress map.
 */
export function mapAckedIndexer(acks: ReadonlyMap<number, number>): AckedIndexer {
  return (id) => acks.get(id);
}
