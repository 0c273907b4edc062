// A small Prometheus text-format registry (https://prometheus.io/docs/instrumenting/exposition_formats/):
// counters and a latency histogram for HTTP, plus gauges other modules set (jobs queued, MLLP connections).
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = Record<string, string>;
const key = (labels: Labels): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

export class Metrics {
  private counters = new Map<string, Map<string, number>>();
  private gauges = new Map<string, () => number>();
  private histogram = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** Adds to a counter. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const series = this.counters.get(name) ?? new Map<string, number>();
    const k = key(labels);
    series.set(k, (series.get(k) ?? 0) + by);
    this.counters.set(name, series);
  }

  /** Registers a gauge read at scrape time. */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  /** Records one HTTP request duration (seconds) by route kind. */
  observe(labels: Labels, seconds: number): void {
    const k = key(labels);
    const h = this.histogram.get(k) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
    this.histogram.set(k, h);
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    for (const [name, series] of this.counters) {
      lines.push(`# TYPE ${name} counter`);
      for (const [k, v] of series) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
    }
    for (const [name, read] of this.gauges) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const [k, h] of this.histogram) {
      const sep = k ? `${k},` : '';
      BUCKETS.forEach((b, i) => lines.push(`http_request_duration_seconds_bucket{${sep}le="${b}"} ${h.buckets[i]}`));
      lines.push(`http_request_duration_seconds_bucket{${sep}le="+Inf"} ${h.count}`);
      lines.push(`http_request_duration_seconds_sum${k ? `{${k}}` : ''} ${h.sum}`);
      lines.push(`http_request_duration_seconds_count${k ? `{${k}}` : ''} ${h.count}`);
    }
    return lines.join('\n') + '\n';
  }
}
