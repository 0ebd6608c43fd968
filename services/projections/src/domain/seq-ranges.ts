/**
 * Sets of message numbers (a conversation's `seq`s) kept as sorted, disjoint, non-adjacent
 * inclusive ranges: `[[1, 40], [42, 42]]`. What a user read, and what waits for delivery, are
 * nearly always one run of consecutive messages, so a set of thousands stays a pair or two,
 * and a document that holds one is rewritten at the same cost however long the history.
 *
 * Values are plain arrays (they are stored as JSON) and never changed in place: every
 * operation answers a new set, or the same one when nothing changed.
 */
export type SeqRanges = readonly (readonly [number, number])[];

/** The ranges of `seqs`, merged. */
function seqRangesOf(seqs: Iterable<number>): SeqRanges {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const seq of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

/** Index of the range holding `seq`, or -1. */
function rangeIndexOf(ranges: SeqRanges, seq: number): number {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = ranges[middle] as readonly [number, number];
    if (seq < range[0]) high = middle - 1;
    else if (seq > range[1]) low = middle + 1;
    else return middle;
  }
  return -1;
}

export function hasSeq(ranges: SeqRanges, seq: number): boolean {
  return rangeIndexOf(ranges, seq) >= 0;
}

/** `ranges` with `seq` added; the same value when it was in it. */
export function addSeq(ranges: SeqRanges, seq: number): SeqRanges {
  const last = ranges[ranges.length - 1];
  // The usual case, a message after every other: extend or open the last range.
  if (last === undefined || seq > last[1] + 1) return [...ranges, [seq, seq]];
  if (seq === last[1] + 1) return [...ranges.slice(0, -1), [last[0], seq]];
  return addSeqs(ranges, [seq]);
}

/** `ranges` with `seqs` added; the same value when all were in it. */
export function addSeqs(ranges: SeqRanges, seqs: Iterable<number>): SeqRanges {
  const added = [...seqs].filter((seq) => !hasSeq(ranges, seq));
  if (added.length === 0) return ranges;
  return unionSeqs(ranges, seqRangesOf(added));
}

/** `ranges` without `seqs`; the same value when none was in it. */
export function removeSeqs(ranges: SeqRanges, seqs: Iterable<number>): SeqRanges {
  const removed = [...new Set(seqs)].filter((seq) => hasSeq(ranges, seq)).sort((a, b) => a - b);
  if (removed.length === 0) return ranges;
  const result: [number, number][] = [];
  let next = 0;
  for (const [from, to] of ranges) {
    let start = from;
    while (next < removed.length && (removed[next] as number) <= to) {
      const seq = removed[next++] as number;
      if (seq > start) result.push([start, seq - 1]);
      start = seq + 1;
    }
    if (start <= to) result.push([start, to]);
  }
  return result;
}

/** Every seq in `a` or `b`. */
export function unionSeqs(a: SeqRanges, b: SeqRanges): SeqRanges {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const result: [number, number][] = [];
  for (const [from, to] of all) {
    const last = result[result.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else result.push([from, to]);
  }
  return result;
}

/** The seqs, lowest first, at most `limit` of them. */
export function* seqsOf(ranges: SeqRanges, limit = Number.POSITIVE_INFINITY): Generator<number> {
  let given = 0;
  for (const [from, to] of ranges) {
    for (let seq = from; seq <= to; seq++) {
      if (given++ >= limit) return;
      yield seq;
    }
  }
}
