/**
 * The lab agent runs node-local proxy static pods with the real binaries: the command line it derives
 * from the manifests ha-wizard writes (assets/*-proxy.yaml.tmpl), config paths through hostPath volumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { LAB_NGINX_STREAM_MODULE, commandFor, hostPathOf } from '../../lab/agent/staticpods.js';
import { PROXY_PATHS, renderProxyStaticPod } from '../../src/proxy/render.js';

const STREAM = 'stream {\n  server { listen 127.0.0.1:6443; proxy_pass x; }\n}\n';

function pod(kind: 'nginx' | 'haproxy'): any {
  return parse(renderProxyStaticPod({ kind, image: `docker.io/library/${kind}:1`, config: 'x', caFile: '/etc/kubernetes/pki/ca.crt' }));
}

test('nginx pod: Debian nginx in the foreground, errors to stderr, the stream module loaded when the config does not', () => {
  const p = pod('nginx');
  const cmd = commandFor(p.spec.containers[0], p, () => STREAM);
  assert.deepEqual(cmd, { argv: ['/usr/sbin/nginx', '-e', 'stderr', '-c', PROXY_PATHS.nginx.config, '-g', `load_module ${LAB_NGINX_STREAM_MODULE}; daemon off;`] });
  const loaded = commandFor(p.spec.containers[0], p, () => `load_module /x/ngx_stream_module.so;\n${STREAM}`);
  assert.deepEqual(loaded, { argv: ['/usr/sbin/nginx', '-e', 'stderr', '-c', PROXY_PATHS.nginx.config, '-g', 'daemon off;'] });
});

test('haproxy pod: the real haproxy with the manifest arguments', () => {
  const p = pod('haproxy');
  assert.deepEqual(commandFor(p.spec.containers[0], p), { argv: ['/usr/sbin/haproxy', '-W', '-db', '-f', PROXY_PATHS.haproxy.config] });
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
  assert.deepEqual(commandFor({ command: ["envoy"], image: "envoy:1" }), { error: 'the lab has no stand-in for command "envoy" (image envoy:1)' });
});
