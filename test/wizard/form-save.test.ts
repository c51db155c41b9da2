import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_FORM, fieldHelp, fieldOfPath, FIELDS, formDocument, formFromConfig, formYaml } from '../../src/wizard/form.js';
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

test('placement vip: the form writes proxy.vip (provider, and the address behind a DNS name), reads it back, and says what endpoint to give', () => {
  const v = { ...EMPTY_FORM, name: 'prod', proxyPlacement: 'vip', vipProvider: 'kube-vip', vipAddress: '10.0.0.10', endpointHost: 'k8s-api.example.com' };
  const doc = formDocument(v) as { proxy: Record<string, unknown> };
  assert.deepEqual(doc.proxy, { kind: 'nginx', placement: 'vip', vip: { provider: 'kube-vip', address: '10.0.0.10' } });
  assert.deepEqual((formDocument({ ...v, vipAddress: '', endpointHost: '10.0.0.10' }) as { proxy: Record<string, unknown> }).proxy.vip, { provider: 'kube-vip' });
  // No vip block for the other placements, whatever the vip fields hold.
  assert.equal((formDocument({ ...v, proxyPlacement: 'per-node' }) as { proxy: Record<string, unknown> }).proxy.vip, undefined);
  const endpoint = FIELDS.find((f) => f.id === 'endpointHost')!;
  assert.match(fieldHelp(endpoint, v), /Placement vip: a free address .* Port 6443 reaches the apiservers directly; any other port \(8443/);
  assert.equal(fieldOfPath('proxy.vip.address'), 'vipAddress');
  assert.equal(fieldOfPath('proxy.vip.provider'), 'vipProvider');
  const config = { ...(doc as object), controlPlane: { existing: { name: 'cp1', address: '10.0.0.11' }, promote: [] }, endpoint: { host: 'k8s-api.example.com', port: 6443 }, ssh: { user: 'root', port: 22, identityFiles: [], knownHosts: '~/.ssh/known_hosts', sudo: 'auto' } } as unknown as Parameters<typeof formFromConfig>[0];
  const back = formFromConfig(config, 'cluster.yaml');
  assert.equal(back.vipProvider, 'kube-vip');
  assert.equal(back.vipAddress, '10.0.0.10');
});
