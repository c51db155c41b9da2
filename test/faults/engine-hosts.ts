/**
 * The engine's representative plan (test/engine/fixtures.ts: node1..node3) over the real SSH transport:
 * node1..node3 are a lab's cp1..cp3, reached through the lab's ssh_config; their /etc/kubernetes is seeded
 * and hashed from the host side (hostPath), not through the transport under test.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hostPath, readLab, type LabState } from '../../lab/lab.js';
import { HostPool, type HostPoolOptions } from '../../src/ssh/pool.js';
import type { EngineDeps } from '../../src/engine/model/ports.js';
import { NODES, deps } from '../engine/fixtures.js';

/** Plan node → lab node. */
export const LAB_NODE: Record<string, string> = { node1: 'cp1', node2: 'cp2', node3: 'cp3' };

export function enginePool(labDir: string, opts: HostPoolOptions = {}): HostPool {
  return new HostPool(
    NODES.map((n) => ({ name: n, address: LAB_NODE[n]! })),
    { sshConfig: { configPath: join(labDir, 'ssh_config') }, agentSocket: null, connectTimeoutMs: 20_000, ...opts },
  );
}

export function engineDeps(labDir: string, opts: HostPoolOptions = {}): EngineDeps & { hosts: HostPool } {
  const hosts = enginePool(labDir, opts);
  return { ...deps('/nonexistent-dir-hosts', { hosts }), hosts };
}

const kubeDir = (s: LabState, n: string) => hostPath(s.nodes.find((x) => x.name === LAB_NODE[n])!, '/etc/kubernetes');

/** Empties each node's /etc/kubernetes and seeds it like `seedNodes` (the same bytes and modes). */
export function seedLab(s: LabState): void {
  for (const n of NODES) {
    const k = kubeDir(s, n);
    for (const e of readdirSync(k)) rmSync(join(k, e), { recursive: true, force: true });
    mkdirSync(join(k, 'manifests'), { recursive: true });
    writeFileSync(join(k, 'manifests/kube-apiserver.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  advertise: ${n}\n  port: 6443\n`);
    chmodSync(join(k, 'manifests/kube-apiserver.yaml'), 0o600);
    writeFileSync(join(k, 'proxy.conf'), `upstream ${n}\n`);
    chmodSync(join(k, 'proxy.conf'), 0o644);
  }
  writeFileSync(join(kubeDir(s, 'node3'), 'old.conf'), 'obsolete\n');
  chmodSync(join(kubeDir(s, 'node3'), 'old.conf'), 0o640);
}

/** `node:relpath` → mode and sha256 of every file under each node's /etc/kubernetes, minus `skip`. */
export function labHashes(s: LabState, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of NODES) {
    const base = kubeDir(s, n);
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        const rel = relative(base, p);
        if (skip(rel)) continue;
        if (e.isDirectory()) walk(p);
        else out[`${n}:${rel}`] = `${(lstatSync(p).mode & 0o7777).toString(8)}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    };
    if (existsSync(base)) walk(base);
  }
  return out;
}

export { readLab };
