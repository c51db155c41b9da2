/**
 * The proxy renderers, judged by the real binaries: every rendered nginx config passes `nginx -t`, every
 * HAProxy config `haproxy -c`, in a temp dir (pid and log paths point there; nothing is started).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { DEBIAN_NGINX_STREAM_MODULE, renderHaproxyConfig, renderNginxConfig, renderProxyStaticPod, type Backend, type ProxySpec } from '../../src/proxy/render.js';
import { renderTemplate } from '../../src/proxy/template.js';

const dir = mkdtempSync(join(tmpdir(), 'haw-proxy-render-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const caFile = join(dir, 'ca.crt');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', caFile, '-subj', '/CN=test-ca', '-days', '1'], {
  stdio: 'ignore',
});

const backends = (n: number): Backend[] => Array.from({ length: n }, (_, i) => ({ name: `cp${i + 1}`, address: `10.200.0.${11 + i}`, port: 6443 }));

function spec(kind: ProxySpec['kind'], n: number, listen: string[]): ProxySpec {
  return {
    kind,
    endpoint: 'k8s-api.lab.example:6443',
    listen,
    backends: backends(n),
    nginxStreamModule: DEBIAN_NGINX_STREAM_MODULE,
    caFile,
    pidFile: join(dir, `${kind}.pid`),
    errorLog: join(dir, `${kind}.log`),
  };
}

function nginxCheck(text: string, name: string): { ok: boolean; out: string } {
  const path = join(dir, name);
  writeFileSync(path, text);
  const r = spawnSync('nginx', ['-t', '-c', path, '-e', join(dir, 'nginx-t.log')], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stderr };
}

function haproxyCheck(text: string, name: string): { ok: boolean; out: string } {
  const path = join(dir, name);
  writeFileSync(path, text);
  const r = spawnSync('haproxy', ['-c', '-f', path], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

for (const n of [1, 3, 5]) {
  for (const listen of [['6443'], ['127.0.0.1:6443']]) {
    test(`nginx stream config, ${n} backend(s), listen ${listen[0]}: nginx -t accepts it`, () => {
      const text = renderNginxConfig(spec('nginx', n, listen));
      const r = nginxCheck(text, `nginx-${n}-${listen.length}.conf`);
      assert.ok(r.ok, r.out);
      assert.match(text, /^load_module \/usr\/lib\/nginx\/modules\/ngx_stream_module\.so;$/m);
      assert.match(text, /^stream \{$/m);
      assert.doesNotMatch(text, /^\s*http\s*\{/m, 'no http block: passthrough only');
      assert.doesNotMatch(text, /proxy_ssl|ssl_certificate/, 'TLS is never terminated');
      assert.match(text, /proxy_connect_timeout 1s;/);
      assert.match(text, /proxy_next_upstream on;/);
      assert.match(text, /proxy_timeout 10m;/);
      assert.equal(text.match(/^\s*server 10\.200\.0\.\d+:6443 max_fails=2 fail_timeout=10s;$/gm)?.length, n);
      assert.match(text, new RegExp(`^\\s*listen ${listen[0]!.replace(/\./g, '\\.')};$`, 'm'));
    });

    test(`HAProxy tcp config, ${n} backend(s), listen ${listen[0]}: haproxy -c accepts it`, () => {
      const text = renderHaproxyConfig(spec('haproxy', n, listen));
      const r = haproxyCheck(text, `haproxy-${n}-${listen.length}.cfg`);
      assert.ok(r.ok, r.out);
      assert.match(text, /^\s*mode tcp$/m);
      assert.doesNotMatch(text, /^\s*mode http$/m);
      for (const t of ['client', 'server', 'tunnel']) assert.match(text, new RegExp(`timeout ${t} 10m`));
      const servers = text.match(/^\s*server .*$/gm) ?? [];
      assert.equal(servers.length, 2 * n, 'one checked server and one unchecked backup per apiserver');
      for (const s of servers) assert.doesNotMatch(s, /\sssl(\s|$)/, `no TLS origination to the backend: ${s}`);
      assert.equal(servers.filter((s) => /\scheck$/.test(s)).length, n);
      assert.equal(servers.filter((s) => /\sbackup$/.test(s)).length, n);
      assert.match(text, /http-check connect ssl/);
      assert.match(text, /http-check send meth GET uri \/readyz/);
      assert.match(text, new RegExp(`default-server .*verify required ca-file ${caFile.replace(/[.]/g, '\\.')}`));
    });
  }
}

test('nginx without the module line for a build with stream built in; stderr logging for a container', () => {
  const text = renderNginxConfig({ ...spec('nginx', 2, ['127.0.0.1:6443']), nginxStreamModule: null, errorLog: 'stderr' });
  assert.doesNotMatch(text, /load_module/);
  assert.match(text, /^error_log stderr notice;$/m);
});

test('IPv6 backends and listen addresses are bracketed and accepted by both binaries', () => {
  const v6: ProxySpec = { ...spec('nginx', 1, ['[::1]:6443']), backends: [{ name: 'cp1', address: 'fd00::11', port: 6443 }] };
  const n = renderNginxConfig(v6);
  assert.match(n, /server \[fd00::11\]:6443 /);
  assert.ok(nginxCheck(n, 'v6.conf').ok);
  const h = renderHaproxyConfig({ ...v6, kind: 'haproxy' });
  assert.match(h, /server cp1 \[fd00::11\]:6443 check/);
  assert.ok(haproxyCheck(h, 'v6.cfg').ok);
});

test('values that could change a config are refused before rendering', () => {
  const bad = (patch: Partial<ProxySpec>) => () => renderNginxConfig({ ...spec('nginx', 1, ['6443']), ...patch });
  assert.throws(bad({ backends: [{ name: 'cp1', address: '10.0.0.1; include /etc/passwd', port: 6443 }] }), /neither an IP address nor a lowercase DNS name/);
  assert.throws(bad({ backends: [{ name: 'cp1\n', address: '10.0.0.1', port: 6443 }] }), /not a DNS-1123 name/);
  assert.throws(bad({ backends: [] }), /at least one apiserver backend/);
  assert.throws(bad({ listen: ['6443;'] }), /not \[address:\]port/);
  assert.throws(bad({ pidFile: '/run/x.pid;\nuser root' }), /absolute path/);
  assert.throws(bad({ backends: [{ name: 'cp1', address: '10.0.0.1', port: 6443 }, { name: 'cp1', address: '10.0.0.2', port: 6443 }] }), /listed twice/);
});

test('per-node static pods: host network, the config hash as an annotation, the files mounted read-only', () => {
  for (const kind of ['nginx', 'haproxy'] as const) {
    const a = renderHaproxyConfig(spec('haproxy', 1, ['127.0.0.1:6443']));
    const b = renderHaproxyConfig(spec('haproxy', 2, ['127.0.0.1:6443']));
    const podA = YAML.parse(renderProxyStaticPod({ kind, image: 'registry.example/proxy:1', config: a, caFile: '/etc/kubernetes/pki/ca.crt' }));
    const podB = YAML.parse(renderProxyStaticPod({ kind, image: 'registry.example/proxy:1', config: b, caFile: '/etc/kubernetes/pki/ca.crt' }));
    assert.equal(podA.kind, 'Pod');
    assert.equal(podA.metadata.namespace, 'kube-system');
    assert.equal(podA.spec.hostNetwork, true);
    assert.equal(podA.spec.priorityClassName, 'system-node-critical');
    assert.notEqual(podA.metadata.annotations['ha-wizard.io/config-sha256'], podB.metadata.annotations['ha-wizard.io/config-sha256']);
    const c = podA.spec.containers[0];
    assert.equal(c.image, 'registry.example/proxy:1');
    assert.ok(c.volumeMounts.every((m: { readOnly: boolean }) => m.readOnly));
    if (kind === 'nginx') assert.deepEqual(c.command, ['nginx', '-c', '/etc/nginx/ha-wizard-apiserver.conf', '-g', 'daemon off;']);
    else {
      assert.deepEqual(c.command, ['haproxy', '-W', '-db', '-f', '/etc/haproxy/ha-wizard-apiserver.cfg']);
      assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/etc/kubernetes/pki/ca.crt'));
    }
  }
  assert.throws(() => renderProxyStaticPod({ kind: 'nginx', image: 'x\ny', config: '' }), /not an image reference/);
});

test('template subset: values, lists, conditionals, and errors for missing values', () => {
  assert.equal(renderTemplate('a {{x}}\n{{#l}}\n- {{v}}\n{{/l}}\n{{^e}}\nempty\n{{/e}}\nend\n', { x: 1, l: [{ v: 'p' }, { v: 'q' }], e: [] }), 'a 1\n- p\n- q\nempty\nend\n');
  assert.equal(renderTemplate('{{#f}}on{{/f}}{{^f}}off{{/f}}', { f: null }), 'off');
  assert.throws(() => renderTemplate('{{missing}}', {}), /"missing" is not set/);
  assert.throws(() => renderTemplate('{{#open}}x', { open: true }), /not closed/);
});
