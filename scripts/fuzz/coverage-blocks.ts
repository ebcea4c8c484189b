/**
 * Turns the inspector's block-coverage ranges into stable block features. V8 does not list every block each
 * time: it drops a nested range whose count equals its parent's and merges neighbours with equal counts, so a
 * block that starts to run as often as its function simply disappears from the list (its count-0 range goes)
 * instead of appearing. Reading ranges as they come would miss exactly that novelty. So this map learns each
 * function's block boundaries from every sample (the union of all range edges seen so far) and reads each sample
 * as the count of every learned block: the innermost reported range holding it gives its count.
 */

/** One range of the inspector's coverage: offsets in the script's source, and how often it ran. */
export interface CoverageRange {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}

/** The block-coverage features of one sample (see coverage.ts CoverageSample). */
export interface BlockFeatures {
  /** One per executed block and count bucket. */
  readonly features: number[];
  /** One per executed block. */
  readonly blocks: number[];
}

/** AFL-style count buckets: 1, 2–3, 4–7, 8 or more → 0, 1, 2, 3 (0 for counts below 1). */
export function countBucket(count: number): number {
  return count <= 1 ? 0 : count <= 3 ? 1 : count <= 7 ? 2 : 3;
}

/** The hash of a block (a range of a script, the script by the hash of its name): 32 bits, murmur3-mixed. */
export function blockHash(scriptKey: number, start: number, end: number): number {
  let h = Math.imul(scriptKey ^ start, 0xcc9e2d51);
  h = Math.imul(h ^ (h >>> 15) ^ end, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A feature: the block hash and the count bucket in one exact number (block × 4 + bucket). */
export function featureOf(block: number, count: number): number {
  return block * 4 + countBucket(count);
}

/** What is known of one function: its learned block edges and which of the blocks between them ever ran. */
interface FunctionBlocks {
  /** Sorted, distinct; the first and last are the function's own range. */
  readonly edges: number[];
  /** Starts of the blocks (edge to next edge) that ran at least once. */
  readonly ran: Set<number>;
}

function byNesting(a: CoverageRange, b: CoverageRange): number {
  return a.startOffset - b.startOffset || b.endOffset - a.endOffset;
}

/** The learned blocks of every function seen, and the blocks that ever ran. */
export class BlockMap {
  private readonly functions = new Map<number, FunctionBlocks>();

  /** With `countBuckets` false a block gives one feature whatever its count (block coverage alone). */
  constructor(private readonly countBuckets = true) {}

  /**
   * Reads one function's ranges from a sample (the first is the function's own) into `out`, and learns from them.
   * Returns false when the function did not run.
   */
  addFunction(scriptKey: number, ranges: readonly CoverageRange[], out: BlockFeatures): boolean {
    const own = ranges[0];
    if (own === undefined || own.count <= 0 || own.endOffset <= own.startOffset) return false;
    const key = blockHash(scriptKey, own.startOffset, own.endOffset);
    let fn = this.functions.get(key);
    if (fn === undefined) {
      fn = { edges: [own.startOffset, own.endOffset], ran: new Set() };
      this.functions.set(key, fn);
    }
    let sorted = true;
    for (let i = 1; i < ranges.length; i++) {
      const r = ranges[i]!;
      learnEdge(fn, r.startOffset);
      learnEdge(fn, r.endOffset);
      if (byNesting(ranges[i - 1]!, r) > 0) sorted = false;
    }
    const nested = sorted ? ranges : ranges.slice().sort(byNesting);
    // Sweep the blocks in order with a stack of the ranges that hold the current one (ranges nest properly).
    const open: CoverageRange[] = [];
    let next = 0;
    const edges = fn.edges;
    for (let i = 0; i + 1 < edges.length; i++) {
      const start = edges[i]!;
      while (open.length > 0 && open[open.length - 1]!.endOffset <= start) open.pop();
      while (next < nested.length && nested[next]!.startOffset <= start) {
        const r = nested[next++]!;
        if (r.endOffset > start) open.push(r);
      }
      const count = open.length > 0 ? open[open.length - 1]!.count : 0;
      if (count <= 0) continue;
      const block = blockHash(scriptKey, start, edges[i + 1]!);
      out.blocks.push(block);
      out.features.push(this.countBuckets ? featureOf(block, count) : block * 4);
      fn.ran.add(start);
    }
    return true;
  }

  /** Blocks (as learned so far) that ran at least once since the map was made or {@link forgetRuns}. */
  blocksRan(): number {
    let n = 0;
    for (const fn of this.functions.values()) n += fn.ran.size;
    return n;
  }

  /** Functions seen running. */
  functionsRan(): number {
    let n = 0;
    for (const fn of this.functions.values()) if (fn.ran.size > 0) n++;
    return n;
  }

  /** Forgets which blocks ran (keeps the learned edges), e.g. to measure a corpus replay alone. */
  forgetRuns(): void {
    for (const fn of this.functions.values()) fn.ran.clear();
  }
}

/** Adds an edge; a block that ran and is now cut in two ran in both halves (its counts were one then). */
function learnEdge(fn: FunctionBlocks, edge: number): void {
  const edges = fn.edges;
  if (edge <= edges[0]! || edge >= edges[edges.length - 1]!) return;
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < edge) lo = mid + 1;
    else hi = mid;
  }
  if (edges[lo] === edge) return;
  edges.splice(lo, 0, edge);
  if (fn.ran.has(edges[lo - 1]!)) fn.ran.add(edge);
}
