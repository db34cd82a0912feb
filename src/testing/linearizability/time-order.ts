/** Runs this long are put in order by insertion before merging. */
const RUN = 16;

/**
 * Fills `order` with the indices `0 .. n-1` of `times` (`n` = `order.length` <=
 * `times.length`), ordered by (time, index), and returns it; `temp` (at least `n` long) is
 * working space. Times may be infinite, never NaN. Already ordered times cost one pass;
 * otherwise a merge sort (runs of {@link RUN} put in order by insertion, so nearly ordered
 * times, such as the returns of operations listed by call, merge cheaply) that compares
 * numbers inline: several times faster than a sort calling a comparator.
 */
export function orderByTime(times: Float64Array, order: Int32Array, temp: Int32Array): Int32Array {
  const n = order.length;
  let ordered = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && times[i - 1]! > times[i]!) ordered = false;
  }
  if (ordered) return order;
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
