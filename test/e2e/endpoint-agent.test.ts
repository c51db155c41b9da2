/**
 * The lab agent runs node-local proxy static pods with the real binaries: the command line it derives
 * from the manifests ha-wizard writes (assets/*-proxy.yaml.tmpl), config paths through hostPath volumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { LAB_NGINX_STREAM_MODULE, commandFor, hostPathOf, imageVersion, setUpHostPaths } from '../../lab/agent/containers.js';
import { PROXY_PATHS, renderProxyStaticPod } from '../../src/proxy/render.js';

const STREAM = 'stream {\n  server { listen 127.0.0.1:6443; proxy_pass x; }\n}\n';

function pod(kind: 'nginx' | 'haproxy'): any {
  return parse(renderProxyStaticPod({ kind, image: `docker.io/library/${kind}:1`, config: 'x', caFile: '/etc/kubernetes/pki/ca.crt' }));
}

test('nginx pod: Debian nginx in the foreground, errors to stderr, the stream module loaded when the config does not', () => {
  const p = pod('nginx');
  const cmd = commandFor(p.spec.containers[0], p, { components: '/c', configText: () => STREAM });
  assert.deepEqual(cmd, { argv: ['/usr/sbin/nginx', '-e', 'stderr', '-c', PROXY_PATHS.nginx.config, '-g', `load_module ${LAB_NGINX_STREAM_MODULE}; daemon off;`] });
  const loaded = commandFor(p.spec.containers[0], p, { components: '/c', configText: () => `load_module /x/ngx_stream_module.so;\n${STREAM}` });
  assert.deepEqual(loaded, { argv: ['/usr/sbin/nginx', '-e', 'stderr', '-c', PROXY_PATHS.nginx.config, '-g', 'daemon off;'] });
});

test('haproxy pod: the real haproxy with the manifest arguments', () => {
  const p = pod('haproxy');
  assert.deepEqual(commandFor(p.spec.containers[0], p, { components: '/c' }), { argv: ['/usr/sbin/haproxy', '-W', '-db', '-f', PROXY_PATHS.haproxy.config] });
});

test('container paths map through hostPath volumes', () => {
  const p = { spec: { volumes: [{ name: 'cfg', hostPath: { path: '/srv/proxy' } }] } };
  const c = { volumeMounts: [{ name: 'cfg', mountPath: '/etc/nginx/' }] };
  assert.equal(hostPathOf(p, c, '/etc/nginx/nginx.conf'), '/srv/proxy/nginx.conf');
  assert.equal(hostPathOf(p, c, '/etc/nginx'), '/srv/proxy');
  assert.equal(hostPathOf(p, c, '/etc/nginxx'), '/etc/nginxx');
  assert.equal(hostPathOf(p, c, '-f'), '-f');
});

test('an image the lab cannot run is a CreateContainerError, not a crash', () => {
  assert.deepEqual(commandFor({ command: ['envoy'], image: 'envoy:1' }, null, { components: '/c' }), {
    error: { reason: 'CreateContainerError', message: 'the lab cannot run command "envoy" (image envoy:1)' },
  });
});

test('control-plane images run the built binary of their exact version; an unbuilt one is an image pull error', () => {
  const built = new Set(['/c/kubernetes/v1.37.2/kube-apiserver', '/c/etcd/v3.6.8/etcd']);
  const ctx = { components: '/c', exists: (p: string) => built.has(p) };
  const api = { command: ['kube-apiserver', '--secure-port=6443'], image: 'registry.k8s.io/kube-apiserver:v1.37.2' };
  assert.deepEqual(commandFor(api, null, ctx), { argv: ['/c/kubernetes/v1.37.2/kube-apiserver', '--secure-port=6443'] });
  assert.deepEqual(commandFor({ command: ['etcd', '--name=cp1'], image: 'registry.k8s.io/etcd:3.6.8-0' }, null, ctx), { argv: ['/c/etcd/v3.6.8/etcd', '--name=cp1'] });
  const old = commandFor({ ...api, image: 'registry.k8s.io/kube-apiserver:v1.36.3' }, null, ctx);
  assert.ok('error' in old && old.error.reason === 'ErrImagePull' && /kube-apiserver v1\.36\.3/.test(old.error.message), JSON.stringify(old));
  assert.equal(imageVersion('registry.k8s.io:5000/etcd:3.7.0-0'), '3.7.0');
  assert.equal(imageVersion('registry.k8s.io/kube-scheduler:v1.35.4@sha256:abc'), '1.35.4');
  assert.equal(imageVersion('nginx'), null);
});

test('flag values under a volume mountPath name the host path behind it', () => {
  const p = { spec: { volumes: [{ name: 'audit', hostPath: { path: '/etc/kubernetes/audit' } }] } };
  const c = { command: ['kube-apiserver', '--audit-policy-file=/etc/audit/policy.yaml', '--v=2'], image: 'registry.k8s.io/kube-apiserver:v1.37.2', volumeMounts: [{ name: 'audit', mountPath: '/etc/audit' }] };
  const cmd = commandFor(c, p, { components: '/c', exists: () => true });
  assert.deepEqual(cmd, { argv: ['/c/kubernetes/v1.37.2/kube-apiserver', '--audit-policy-file=/etc/kubernetes/audit/policy.yaml', '--v=2'] });
});

test('hostPath volumes are checked as the kubelet checks them, and the *OrCreate ones made', async () => {
  const { mkdtempSync, writeFileSync, statSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const d = mkdtempSync(join(tmpdir(), 'hostpath-'));
  try {
    writeFileSync(join(d, 'file'), 'x');
    const vol = (name: string, path: string, type?: string) => ({ name, hostPath: { path, ...(type ? { type } : {}) } });
    assert.equal(setUpHostPaths({ spec: { volumes: [vol('a', join(d, 'file'), 'File'), vol('b', d, 'Directory'), vol('c', join(d, 'none'))] } }), null);
    const missing = setUpHostPaths({ spec: { volumes: [vol('policy', join(d, 'audit.yaml'), 'File')] } });
    assert.equal(missing?.reason, 'ContainerCreating');
    assert.match(missing!.message, /MountVolume\.SetUp failed for volume "policy" : hostPath type check failed: .*audit\.yaml is not a file/);
    assert.match(setUpHostPaths({ spec: { volumes: [vol('d', join(d, 'file'), 'Directory')] } })!.message, /is not a directory/);
    assert.equal(setUpHostPaths({ spec: { volumes: [vol('e', join(d, 'new', 'dir'), 'DirectoryOrCreate'), vol('f', join(d, 'new', 'f.conf'), 'FileOrCreate')] } }), null);
    assert.ok(statSync(join(d, 'new', 'dir')).isDirectory());
    assert.ok(statSync(join(d, 'new', 'f.conf')).isFile());
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
