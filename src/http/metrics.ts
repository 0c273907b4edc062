// A small Prometheus text-format registry (https://prometheus.io/docs/instrumenting/exposition_formats/):
// counters and a latency histogram for HTTP, plus counters and gauges (read at scrape time) for other modules.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = Record<string, string>;
const key = (labels: Labels): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

export class Metrics {
  private counters = new Map<string, Map<string, number>>();
  /** "route method status" -> its formatted label sets, so a request formats no labels after the first of its kind. */
  private requestKeys = new Map<string, { count: string; duration: string }>();
  private gauges = new Map<string, () => number>();
  private histogram = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** Adds to a counter. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    this.add(name, key(labels), by);
  }

  /** Registers a gauge read at scrape time. */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  /** Records one HTTP request: the request counter by method and status, the duration by route and method. */
  request(route: string, method: string, status: number, seconds: number): void {
    const id = `${route} ${method} ${status}`;
    let keys = this.requestKeys.get(id);
    if (!keys) {
      keys = { count: key({ method, status: String(status) }), duration: key({ route, method }) };
      this.requestKeys.set(id, keys);
    }
    this.add('http_requests_total', keys.count, 1);
    this.observeKey(keys.duration, seconds);
  }

  private add(name: string, k: string, by: number): void {
    let series = this.counters.get(name);
    if (!series) this.counters.set(name, (series = new Map<string, number>()));
    series.set(k, (series.get(k) ?? 0) + by);
  }

  private observeKey(k: string, seconds: number): void {
    let h = this.histogram.get(k);
    if (!h) this.histogram.set(k, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = BUCKETS.length - 1; i >= 0 && seconds <= BUCKETS[i]!; i--) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
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
