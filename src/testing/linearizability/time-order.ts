/** Runs this long are put in order by insertion before merging. */
const RUN = 16;

/**
 * Fills `order` with the indices `0 .. n-1` of `times` (`n` = `order.length` <=
 * `times.length`), ordered by (time, index), and returns it; `temp` (at least `n` long) is
 * working space. Times may be infinite, never NaN. Already ordered times cost one pass.
 * Otherwise, finite times are spread over `n` buckets by value (a counting sort, stable),
 * and an insertion sort puts each bucket in order: a few passes without a comparison
 * whose outcome is hard to predict, when the times are spread evenly. When they are not
 * (the insertion sort moves too much) or are infinite: a merge sort (runs of {@link RUN}
 * put in order by insertion, so nearly ordered times merge cheaply). Either compares
 * numbers inline: several times faster than a sort calling a comparator.
 */
export function orderByTime(times: Float64Array, order: Int32Array, temp: Int32Array): Int32Array {
  const n = order.length;
  let ordered = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && times[i - 1]! > times[i]!) ordered = false;
  }
  if (ordered || bucketSort(times, order, temp)) return order;
  for (let i = 0; i < n; i++) order[i] = i;
  for (let start = 0; start < n; start += RUN) {
    const end = Math.min(n, start + RUN);
    for (let i = start + 1; i < end; i++) {
      const x = order[i]!;
      const t = times[x]!;
      let j = i;
      for (; j > start && times[order[j - 1]!]! > t; j--) order[j] = order[j - 1]!;
      order[j] = x;
    }
  }
  // Bottom-up merges, from `from` into `into`; a later element goes first only when strictly earlier (stable).
  let from = order;
  let into = temp;
  for (let width = RUN; width < n; width *= 2) {
    for (let start = 0; start < n; start += 2 * width) {
      const mid = Math.min(n, start + width);
      const end = Math.min(n, start + 2 * width);
      let i = start;
      let j = mid;
      let k = start;
      if (mid < end && times[from[mid - 1]!]! > times[from[mid]!]!) {
        while (i < mid && j < end) into[k++] = times[from[j]!]! < times[from[i]!]! ? from[j++]! : from[i++]!;
      }
      while (i < mid) into[k++] = from[i++]!;
      while (j < end) into[k++] = from[j++]!;
    }
    const swap = from;
    from = into;
    into = swap;
  }
  if (from !== order) order.set(from.subarray(0, n));
  return order;
}

/**
 * {@link orderByTime} by buckets: `order` gets the indices spread over `n` buckets of equal
 * width by time (in index order within a bucket), then an insertion sort. Returns false,
 * leaving `order` in some order, when the times are not all finite or the insertion sort
 * would move more than a few elements per index (times bunched in a few buckets).
 */
function bucketSort(times: Float64Array, order: Int32Array, temp: Int32Array): boolean {
  const n = order.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const span = max - min;
  if (!(span > 0 && span < Infinity)) return false;
  // Bucket of a time: monotonic in the time, so the buckets are in time order.
  const scale = n / span;
  const starts = temp;
  starts.fill(0, 0, n);
  for (let i = 0; i < n; i++) starts[Math.min(n - 1, ((times[i]! - min) * scale) | 0)]!++;
  let sum = 0;
  for (let b = 0; b < n; b++) {
    const count = starts[b]!;
    starts[b] = sum;
    sum += count;
  }
  for (let i = 0; i < n; i++) order[starts[Math.min(n - 1, ((times[i]! - min) * scale) | 0)]!++] = i;
  let moves = 0;
  for (let i = 1; i < n; i++) {
    const x = order[i]!;
    const t = times[x]!;
    let j = i;
    for (; j > 0 && times[order[j - 1]!]! > t; j--) order[j] = order[j - 1]!;
    order[j] = x;
    moves += i - j;
    if (moves > 4 * n) return false;
  }
  return true;
}
