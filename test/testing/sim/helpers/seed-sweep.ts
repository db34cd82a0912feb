/**
 * Runs one seeded simulation per seed and sums the numeric counters of each run, for the
 * randomized suites (jepsen.test.ts, kv-watch.test.ts). A run that throws is rethrown with the
 * command that replays its seed.
 */
export async function sweepSeeds<R>(
  name: string,
  file: string,
  seeds: readonly number[],
  run: (seed: number) => Promise<R>,
  each: (result: R, add: (counters: object) => void) => void,
): Promise<{ totals: Record<string, number>; ms: number }> {
  const totals: Record<string, number> = {};
  const add = (o: object): void => {
    for (const [k, v] of Object.entries(o)) if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
  };
  const start = performance.now();
  for (const seed of seeds) {
    let r: R;
    try {
      r = await run(seed);
    } catch (err) {
      throw new Error(`${name}: seed ${seed} threw; replay: RAFT_SEED=${seed} npx vitest run ${file} -t ${JSON.stringify(name)}`, { cause: err });
    }
    each(r, add);
  }
  return { totals, ms: Math.round(performance.now() - start) };
}
