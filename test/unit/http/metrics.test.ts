// The Prometheus registry: request counters and the cumulative latency histogram in exposition format.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../../src/http/metrics.js';

describe('Metrics', () => {
  it('counts requests by method and status and fills cumulative buckets by route and method', () => {
    const m = new Metrics();
    m.request('fhir', 'GET', 200, 0.003);
    m.request('fhir', 'GET', 200, 0.2);
    m.request('fhir', 'GET', 404, 7);
    m.request('/healthz', 'GET', 200, 0.0005);
    m.inc('hl7_messages_total', { type: 'ORU^R01' }, 2);
    m.gauge('jobs_queued', () => 5);
    const text = m.render();
    const line = (prefix: string): string => text.split('\n').find((l) => l.startsWith(prefix)) ?? '';
    assert.equal(
      line('http_requests_total{method="GET",status="200"}'),
      'http_requests_total{method="GET",status="200"} 3',
    );
    assert.equal(
      line('http_requests_total{method="GET",status="404"}'),
      'http_requests_total{method="GET",status="404"} 1',
    );
    const bucket = (route: string, le: string): string =>
      line(`http_request_duration_seconds_bucket{route="${route}",method="GET",le="${le}"}`).split(' ')[1]!;
    assert.deepEqual(
      ['0.001', '0.005', '0.25', '5', '+Inf'].map((le) => bucket('fhir', le)),
      ['0', '1', '2', '2', '3'],
    );
    assert.equal(bucket('/healthz', '0.001'), '1');
    assert.equal(line('http_request_duration_seconds_count{route="fhir",method="GET"}').split(' ')[1], '3');
    assert.match(text, /^hl7_messages_total\{type="ORU\^R01"\} 2$/m);
    assert.match(text, /^jobs_queued 5$/m);
  });

  it('keeps label values from breaking the format', () => {
    const m = new Metrics();
    m.inc('x_total', { path: 'a"b\\c\nd' });
    assert.match(m.render(), /^x_total\{path="a_b_c_d"\} 1$/m);
  });
});
