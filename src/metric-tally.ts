/**
 * Counters and histograms recorded on every ingest request, without prom-client's per-call work: its inc and
 * observe check the label names, build a hash string of the label values and look it up, and a histogram finds
 * its bucket by the bound turned into a string, on every call. Here the first call for a label set goes through
 * prom-client as always (which checks it and makes its record); that record is then kept, found through one Map
 * per label (the values are the same few strings every time), and later calls add to it directly, exactly as
 * prom-client would. /metrics and get() read prom-client's records as before, at any moment.
 *
 * prom-client's records are not its public interface: a record is recognised by holding the very labels object
 * it was made with, and when none is found (another prom-client version, or after a reset replaced them all)
 * every call simply goes through prom-client. A test compares the output with plain prom-client's.
 */
import { Counter, type CounterConfiguration, Histogram, type HistogramConfiguration, type LabelValues } from 'prom-client';

/** prom-client's record of one label set: `value` for a counter; `sum`, `count`, `bucketValues` for a histogram. */
interface PromRecord {
  labels: object;
  value: number;
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}

interface WithRecords {
  hashMap: Record<string, PromRecord>;
}

interface Cell {
  labels: LabelValues<string>;
  /** prom-client's record for these labels, and the map it was found in (a reset replaces the map). */
  record: PromRecord | null;
  records: object | null;
}

/** Cells by label values, one Map level per label name in the metric's label order. */
function makeCells(metric: WithRecords, labelNames: readonly string[]) {
  const root = new Map<unknown, unknown>();
  const last = labelNames.length - 1;
  return {
    /** The cell of these label values, made on first use (with its own copy of the labels). */
    find(labels: LabelValues<string>): Cell {
      let level = root;
      for (let i = 0; i < last; i++) {
        const value = labels[labelNames[i]!];
        let next = level.get(value) as Map<unknown, unknown> | undefined;
        if (next === undefined) {
          next = new Map();
          level.set(value, next);
        }
        level = next;
      }
      const value = labels[labelNames[last]!];
      let cell = level.get(value) as Cell | undefined;
      if (cell === undefined) {
        cell = { labels: { ...labels }, record: null, records: null };
        level.set(value, cell);
      }
      return cell;
    },
    /** Whether the cell's record is still prom-client's current one. */
    live(cell: Cell): boolean {
      return cell.record !== null && cell.records === metric.hashMap;
    },
    /** After prom-client recorded through the cell's labels: find the record that holds them. */
    adopt(cell: Cell): void {
      const records = metric.hashMap;
      cell.records = records;
      cell.record = null;
      // Without labels prom-client keeps its one record under the empty key, made with the metric.
      if (last < 0) {
        cell.record = records[''] ?? null;
        return;
      }
      for (const key in records) {
        if (records[key]!.labels === cell.labels) {
          cell.record = records[key]!;
          return;
        }
      }
    },
  };
}

/** Whether the labels name exactly the metric's labels, each once with a text or number value (what the fast path assumes). */
function plainLabels(labels: unknown, labelNames: readonly string[]): labels is LabelValues<string> {
  if (typeof labels !== 'object' || labels === null) return false;
  let count = 0;
  for (const name in labels) {
    if (!labelNames.includes(name)) return false;
    const value = (labels as Record<string, unknown>)[name];
    if (typeof value !== 'string' && typeof value !== 'number') return false;
    count++;
  }
  return count === labelNames.length;
}

/** A prom-client Counter whose inc(labels, value) adds to prom-client's record for the labels directly. */
export function talliedCounter<L extends string>(config: CounterConfiguration<L> & { labelNames: readonly L[] }): Counter<L> {
  const counter = new Counter<L>(config);
  const cells = makeCells(counter as unknown as WithRecords, config.labelNames);
  const inc = counter.inc.bind(counter) as (labels?: LabelValues<L> | number, value?: number) => void;
  counter.inc = ((labels?: LabelValues<L> | number, value?: number): void => {
    const n = value ?? 1;
    // Anything unusual (no labels, other labels, a negative or non-finite value) goes to prom-client as it is.
    if (!(n >= 0 && n < Number.POSITIVE_INFINITY) || !plainLabels(labels, config.labelNames)) {
      inc(labels, value);
      return;
    }
    const cell = cells.find(labels);
    if (cells.live(cell)) {
      cell.record!.value += n;
      return;
    }
    inc(cell.labels as LabelValues<L>, n);
    cells.adopt(cell);
  }) as Counter<L>['inc'];
  return counter;
}

/**
 * A prom-client Histogram whose observe(labels, value), or observe(value) without labels, adds to prom-client's
 * record for the labels directly.
 */
export function talliedHistogram<L extends string>(
  config: HistogramConfiguration<L> & { labelNames?: readonly L[]; buckets: readonly number[] },
): Histogram<L> {
  const histogram = new Histogram<L>({ ...config, buckets: [...config.buckets] });
  const labelNames: readonly string[] = config.labelNames ?? [];
  const cells = makeCells(histogram as unknown as WithRecords, labelNames);
  const unlabelled = labelNames.length === 0 ? cells.find({}) : null;
  const bounds = [...config.buckets];
  // prom-client keys a bucket by its bound as text; written once here.
  const keys = bounds.map(String);
  const observe = histogram.observe.bind(histogram) as (labels: LabelValues<L> | number, value?: number) => void;
  histogram.observe = ((labels: LabelValues<L> | number, value?: number): void => {
    const bare = typeof labels === 'number' && value === undefined;
    const v = bare ? labels : value;
    // Anything unusual (other labels, a value that is no finite number) goes to prom-client as it is.
    if (typeof v !== 'number' || !Number.isFinite(v) || (bare ? unlabelled === null : !plainLabels(labels, labelNames))) {
      observe(labels, value);
      return;
    }
    const cell = bare ? unlabelled! : cells.find(labels as LabelValues<string>);
    if (!cells.live(cell)) {
      observe(cell.labels as LabelValues<L>, v);
      cells.adopt(cell);
      return;
    }
    const record = cell.record!;
    record.sum += v;
    record.count += 1;
    // The first bucket whose bound is at least the value; past the last bound only +Inf (the count) holds it.
    for (let i = 0; i < bounds.length; i++) {
      if (v <= bounds[i]!) {
        record.bucketValues[keys[i]!]! += 1;
        return;
      }
    }
  }) as Histogram<L>['observe'];
  return histogram;
}
