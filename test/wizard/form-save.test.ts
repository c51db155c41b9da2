import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_FORM, fieldHelp, FIELDS, formYaml } from '../../src/wizard/form.js';
import { LiveRuntime } from '../../src/wizard/live-runtime.js';

test('a saved config is written 0600 (also over an existing file) and its $schema resolves to the shipped schema', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'haw-save-'));
  try {
    const path = join(dir, 'cluster.yaml');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    const text = formYaml({ ...EMPTY_FORM, name: 'prod' });
    await new LiveRuntime({}).saveConfig(path, text);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), text);
    const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
    assert.ok(schema, text);
    const parsed = JSON.parse(readFileSync(schema, 'utf8')) as { title: string };
    assert.equal(parsed.title, 'ha-wizard cluster config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with per-node proxies the endpoint field says what to give', () => {
  const endpoint = FIELDS.find((f) => f.id === 'endpointHost')!;
  assert.match(fieldHelp(endpoint, { ...EMPTY_FORM, proxyPlacement: 'per-node' }), /127\.0\.0\.1 works on the nodes \(admin\.conf then works only there\); a DNS name that resolves to the control-plane nodes works from your workstation too/);
  assert.match(fieldHelp(endpoint, EMPTY_FORM), /With a dedicated proxy: its address or a name for it/);
});
