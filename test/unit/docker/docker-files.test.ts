// docker/ is checked without a Docker engine (none runs here): every COPY source exists, the images' entry command
// runs, compose.yaml parses and builds from existing Dockerfiles, and the GPU image asks for the CUDA binaries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';

const dockerfiles = ['docker/Dockerfile', 'docker/Dockerfile.gpu'];

function instructions(file: string): { op: string; args: string }[] {
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1) }));
}

describe('docker files', () => {
  for (const file of dockerfiles) {
    it(`${file}: every COPY source exists in the repository`, () => {
      for (const { args } of instructions(file).filter((i) => i.op === 'COPY')) {
        const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) assert.ok(existsSync(src), `${file}: COPY ${src} does not exist`);
      }
    });

    it(`${file}: the entry command answers --help`, () => {
      const entry = instructions(file).find((i) => i.op === 'ENTRYPOINT');
      assert.ok(entry);
      const argv = JSON.parse(entry.args) as string[];
      const run = spawnSync(argv[0]!, [...argv.slice(1), '--help'], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /serve/);
    });
  }

  it('the GPU image installs the CUDA execution provider; the project .npmrc skips it', () => {
    assert.match(readFileSync('docker/Dockerfile.gpu', 'utf8'), /--onnxruntime-node-install=cuda12/);
    assert.match(readFileSync('.npmrc', 'utf8'), /onnxruntime-node-install=skip/);
  });

  it('compose.yaml builds api and worker from Dockerfiles that exist and points them at PostgreSQL', () => {
    const compose = parse(readFileSync('docker/compose.yaml', 'utf8')) as {
      services: Record<string, { build?: { dockerfile: string }; environment?: Record<string, string> }>;
    };
    for (const name of ['api', 'worker']) {
      const svc = compose.services[name]!;
      assert.ok(existsSync(svc.build!.dockerfile), svc.build!.dockerfile);
      assert.match(svc.environment!.DATABASE_URL!, /^postgres:\/\//);
    }
    assert.ok(compose.services.postgres && compose.services.orthanc);
  });
});
