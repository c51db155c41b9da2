/** A representative plan over three dir-hosts and a real (node:crypto) test materializer. */
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, Content } from '../../src/engine/model/actions.js';
import type { EngineDeps } from '../../src/engine/model/ports.js';
import { buildPlan, type Plan } from '../../src/engine/model/plan.js';
import type { Materializer, KubeApiFactory, Prober } from '../../src/engine/model/ports.js';
import { dirHosts } from './dir-host.js';

export const NODES = ['node1', 'node2', 'node3'];

/** Generates real keys; "satisfies" when the bytes parse as a private key. */
export const testMaterializer: Materializer = {
  async materialize(content: Exclude<Content, { type: 'literal' }>) {
    if (content.type !== 'private-key') throw new Error(`test materializer: ${content.type} not supported`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return Buffer.from(privateKey.export({ type: 'sec1', format: 'pem' }));
  },
  async satisfies(_content, _host, current) {
    try {
      createPrivateKey(current);
      return true;
    } catch {
      return false;
    }
  },
};

const noKube: KubeApiFactory = { forHost: () => Promise.reject(new Error('no Kubernetes API in this test')) };
const noProber: Prober = { https: () => Promise.reject(new Error('no https probes in this test')) };

export function deps(base: string, over: Partial<EngineDeps> = {}): EngineDeps {
  return { hosts: dirHosts(base, NODES), materializer: testMaterializer, kube: noKube, prober: noProber, ...over };
}

/** Initial node state: a manifest and a config on each node, a file to be removed on node3. */
export function seedNodes(base: string): void {
  for (const n of NODES) {
    const k = join(base, n, 'etc/kubernetes');
    mkdirSync(join(k, 'manifests'), { recursive: true });
    writeFileSync(join(k, 'manifests/kube-apiserver.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  advertise: ${n}\n  port: 6443\n`);
    chmodSync(join(k, 'manifests/kube-apiserver.yaml'), 0o600);
    writeFileSync(join(k, 'proxy.conf'), `upstream ${n}\n`, { mode: 0o644 });
  }
  writeFileSync(join(base, 'node3/etc/kubernetes/old.conf'), 'obsolete\n', { mode: 0o640 });
}

/** `parallelHosts`: the 'files' step (two writes per node) runs its nodes in parallel. */
export function representativePlan(opts: { parallelHosts?: number } = {}): Plan {
  const actions: Action[] = [];
  for (const n of NODES) {
    actions.push({
      id: `files/${n}/manifest`,
      step: 'files',
      description: `point the apiserver on ${n} at the endpoint`,
      risk: 'disruptive',
      type: 'write-file',
      host: n,
      path: '/etc/kubernetes/manifests/kube-apiserver.yaml',
      content: { type: 'literal', text: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  advertise: ${n}\n  port: 6443\n  endpoint: lb.example:6443\n` },
      mode: 0o600,
    });
    actions.push({
      id: `files/${n}/key`,
      step: 'files',
      description: `new key on ${n}`,
      risk: 'reversible',
      type: 'write-file',
      host: n,
      path: '/etc/kubernetes/pki/new.key',
      content: { type: 'private-key', algorithm: 'ecdsa-p256' },
      mode: 0o600,
    });
  }
  actions.push({
    id: 'cmds/node1/marker',
    step: 'cmds',
    description: 'mark node1',
    risk: 'reversible',
    type: 'run',
    host: 'node1',
    argv: ['touch', '/etc/kubernetes/marker'],
    undo: ['rm', '-f', '/etc/kubernetes/marker'],
    probe: { type: 'file', host: 'node1', path: '/etc/kubernetes/marker' },
  });
  actions.push({
    id: 'cmds/node3/remove-old',
    step: 'cmds',
    description: 'remove the obsolete config',
    risk: 'reversible',
    type: 'remove-file',
    host: 'node3',
    path: '/etc/kubernetes/old.conf',
  });
  actions.push({
    id: 'cmds/node2/proxy',
    step: 'cmds',
    description: 'replace the proxy config on node2 twice (second write diffs against the first)',
    risk: 'reversible',
    type: 'write-file',
    host: 'node2',
    path: '/etc/kubernetes/proxy.conf',
    content: { type: 'literal', text: 'upstream node1\nupstream node2\n' },
    mode: 0o644,
  });
  actions.push({
    id: 'verify/node1/marker',
    step: 'verify',
    description: 'the marker is there',
    risk: 'read-only',
    type: 'wait',
    probe: { type: 'file', host: 'node1', path: '/etc/kubernetes/marker' },
    timeoutMs: 2000,
    intervalMs: 50,
  });
  actions.push({
    id: 'verify/node2/proxy',
    step: 'verify',
    description: 'second write of the proxy config',
    risk: 'reversible',
    type: 'write-file',
    host: 'node2',
    path: '/etc/kubernetes/proxy.conf',
    content: { type: 'literal', text: 'upstream node1\nupstream node2\nupstream node3\n' },
    mode: 0o644,
  });
  return buildPlan({
    cluster: 'unit',
    factsFingerprint: 'sha256:facts',
    now: new Date('2026-01-02T03:04:05Z'),
    steps: [
      { id: 'files', title: 'Write files', description: 'manifests and keys', risk: 'reversible', ...opts, actions: actions.filter((a) => a.step === 'files') },
      { id: 'cmds', title: 'Commands', description: 'a command and a removal', risk: 'reversible', actions: actions.filter((a) => a.step === 'cmds') },
      { id: 'verify', title: 'Verify', description: 'wait and a last write', risk: 'read-only', actions: actions.filter((a) => a.step === 'verify') },
    ],
  });
}
