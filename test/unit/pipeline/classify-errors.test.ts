import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DicomwebError } from '../../../src/imaging/dicomweb/errors.js';
import { VolumeError } from '../../../src/imaging/volume/types.js';
import { PermanentJobError } from '../../../src/jobs/types.js';
import { classifyError } from '../../../src/pipeline/classify-job.js';

it('fails a classification for good on bad data, and retries outages and a series still arriving', () => {
  const arriving = new VolumeError('instance-count', '40 instances arrived, 42 expected');
  assert.equal(classifyError(arriving), arriving, 'retried: the PACS may still be storing the series');
  assert.ok(classifyError(new VolumeError('duplicate-position', 'two slices at z=10')) instanceof PermanentJobError);
  const outage = new DicomwebError('timeout', 'stalled');
  assert.equal(classifyError(outage) === outage, outage.retryable);
});
