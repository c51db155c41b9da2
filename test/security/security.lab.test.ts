/**
 * Security on a real lab whose SSH user `ops` reaches root through sudo with a password:
 * host keys (unknown host refused without --accept-new-host-keys; a changed host key refused between plan
 * and apply), secrets (no private key, CA key body, client key or sudo password anywhere on the workstation
 * after a full 1 → 3 conversion: session directory, audit log, plan, output, HOME, temp dirs), and what the
 * conversion leaves on the hosts (private keys 0600 root:root, backups with the original modes in a 0700
 * directory). The conversion runs in-process (the same calls as `ha-wizard apply`) because the sudo
 * password can only be typed at a terminal, which a test does not have.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { hostPath, labDown, labUp, nodeExec, type LabState } from '../../lab/lab.js';
import { cliPath, repoRoot } from '../config/paths.js';
import { loadConfig } from '../../src/config/load.js';
import { discoverCluster, planConversion, preflightError, previewConversion } from '../../src/conversion/pipeline.js';
import { createEngineDeps } from '../../src/conversion/wiring.js';
import { serializePlan } from '../../src/engine/model/plan.js';
import { renderPreview } from '../../src/reporters/preview-text.js';
import { createSession } from '../../src/engine/records/session.js';
import { apply } from '../../src/engine/run/executor.js';
import { BadInputError } from '../../src/exit-codes.js';

const tag = `sec${process.pid % 100000}`;
const work = mkdtempSync(join(tmpdir(), 'haw-security-'));
const labDir = join(work, 'lab');
const home = join(work, 'home');
const stateDir = join(work, 'state');
// What hostile values would create if anything ran them: a bare name (no slash, so it fits in a file name too).
const CANARY = `haw-pwned-${tag}`;
const canary = join(work, CANARY);
const canaryPlaces = () => [canary, join(home, CANARY), join(process.cwd(), CANARY), join(tmpdir(), CANARY), ...s.nodes.flatMap((n) => [hostPath(n, `/root/${CANARY}`), hostPath(n, `/home/ops/${CANARY}`)])];
// Shell-hostile on purpose: it reaches sudo on stdin only, so nothing here may ever be run or printed.
const PASSWORD = `pa'ss "$(touch ${canary})" \`touch ${canary}\` ;|&`;
let s: LabState;
let configPath: string;
let baseConfig: Record<string, any>;
const output: string[] = [];
/** SSH keys this test itself writes (a forged host key, a copy of the lab's client key): not the wizard's output. */
const testMade = new Set<string>();

// The workstation as the wizard sees it: a HOME and state directory of the test's own, scanned afterwards.
process.env['HOME'] = home;
process.env['HA_WIZARD_STATE_DIR'] = stateDir;
delete process.env['SSH_AUTH_SOCK'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      output.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

const node = (name: string) => s.nodes.find((n) => n.name === name)!;
const onNode = (name: string, script: string) => nodeExec(s, name, ['sh', '-c', script], { timeoutMs: 60_000 });

function variant(name: string, edit: (c: Record<string, any>) => void): string {
  const c = structuredClone(baseConfig);
  edit(c);
  const p = join(work, `${name}.yaml`);
  writeFileSync(p, stringify(c));
  return p;
}

/** The secrets a leak would show: PEM markers, the CA key's base64 body, a client key from admin.conf, the sudo password. */
function secrets(): Array<[string, string]> {
  const cp1 = node('cp1');
  const body = (path: string) =>
    readFileSync(hostPath(cp1, path), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
  const admin = parse(readFileSync(hostPath(cp1, '/etc/kubernetes/admin.conf'), 'utf8')) as { users: Array<{ user: Record<string, string> }> };
  const clientKey = Buffer.from(admin.users[0]!.user['client-key-data']!, 'base64').toString('utf8');
  const clientKeyBody = clientKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  const found: Array<[string, string]> = [
    ['PRIVATE KEY', 'PRIVATE KEY'],
    ['sudo password', PASSWORD],
    ['ca.key body', body('/etc/kubernetes/pki/ca.key')],
    ['ca.key body (first 40)', body('/etc/kubernetes/pki/ca.key').slice(0, 40)],
    ['etcd/ca.key body', body('/etc/kubernetes/pki/etcd/ca.key').slice(0, 40)],
    ['sa.key body', body('/etc/kubernetes/pki/sa.key').slice(0, 40)],
    ['admin client key body', clientKeyBody.slice(0, 40)],
    ['admin client-key-data', admin.users[0]!.user['client-key-data']!.slice(0, 40)],
  ];
  return found;
}

function filesUnder(root: string, skip: (p: string) => boolean = () => false): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) out.push(...filesUnder(p, skip));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

before(async () => {
  mkdirSync(home, { recursive: true });
  s = await labUp({ dir: labDir, name: tag, promote: 2, workers: 1, proxyHost: true, sshUser: 'ops', sudoPassword: PASSWORD });
  configPath = join(labDir, 'cluster.yaml');
  baseConfig = parse(readFileSync(configPath, 'utf8')) as Record<string, any>;
});

after(async () => {
  await labDown(labDir).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('host keys', () => {
  test('an unknown host is refused without --accept-new-host-keys, and known_hosts is left alone', async () => {
    const empty = join(work, 'known_hosts.empty');
    writeFileSync(empty, '');
    const p = variant('unknown-host', (c) => {
      c.ssh.knownHosts = empty;
      c.ssh.acceptNewHostKeys = false;
    });
    const r = await cli(['plan', '-c', p]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cp1/);
    assert.match(r.stderr, /--accept-new-host-keys/);
    assert.equal(readFileSync(empty, 'utf8'), '', 'nothing recorded');
    // With the flag the host key is accepted and recorded; the run then stops at the sudo password (no terminal).
    const accepted = await cli(['plan', '-c', p, '--accept-new-host-keys']);
    assert.equal(accepted.code, 2, accepted.stderr);
    assert.doesNotMatch(accepted.stderr, /--accept-new-host-keys/);
    assert.match(accepted.stderr, /sudo/);
    assert.match(readFileSync(empty, 'utf8'), /ssh-ed25519 /);
  });

  test('a host key that changed between plan and apply is refused, nothing changed', async () => {
    const config = loadConfig(configPath).config;
    const deps = createEngineDeps(config, { askPassword: async () => PASSWORD });
    let planFile: string;
    try {
      const discovered = await discoverCluster(config, deps);
      assert.equal(preflightError(discovered.checks), null);
      const { plan } = await previewConversion(planConversion(discovered), deps);
      planFile = join(work, 'hostkey-plan.json');
      writeFileSync(planFile, serializePlan(plan));
    } finally {
      await deps.hosts.closeAll();
    }
    // Another machine answers at cp2's address: its known_hosts line now holds a different key.
    const forged = join(work, 'forged');
    const gen = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', forged]);
    await new Promise((r) => gen.on('close', r));
    testMade.add(forged).add(`${forged}.pub`);
    const otherKey = readFileSync(`${forged}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const known = join(work, 'known_hosts.changed');
    writeFileSync(
      known,
      readFileSync(baseConfig.ssh.knownHosts, 'utf8')
        .split('\n')
        .map((l) => (l.startsWith(`${node('cp1').address} `) ? `${node('cp1').address} ${otherKey}` : l))
        .join('\n'),
    );
    const changedCfg = variant('changed-key', (c) => (c.ssh.knownHosts = known));
    const before = readFileSync(known, 'utf8');
    const r = await cli(['apply', planFile, '-c', changedCfg]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cp1/);
    assert.match(r.stderr, /host key/i);
    assert.equal(readFileSync(known, 'utf8'), before, 'the changed key is not "fixed" by the wizard');

    // The same for a node other than the master, in-process: preflight names it and stops.
    writeFileSync(
      known,
      readFileSync(baseConfig.ssh.knownHosts, 'utf8')
        .split('\n')
        .map((l) => (l.startsWith(`${node('cp2').address} `) ? `${node('cp2').address} ${otherKey}` : l))
        .join('\n'),
    );
    const config2 = loadConfig(changedCfg).config;
    const deps2 = createEngineDeps(config2, { askPassword: async () => PASSWORD });
    try {
      const d2 = await discoverCluster(config2, deps2);
      const err = preflightError(d2.checks);
      assert.ok(err instanceof BadInputError);
      assert.match(err.message, /\[SSH\] cp2: .*host key/i);
    } finally {
      await deps2.hosts.closeAll();
    }
    assert.equal(existsSync(join(stateDir, 'sessions')) ? readdirSync(join(stateDir, 'sessions')).length : 0, 0, 'no session was started');
  });
});

describe('a full 1 → 3 conversion with a sudo password', () => {
  let sessionId = '';
  const modesBefore = new Map<string, string>();

  before(async () => {
    // Modes of everything under /etc/kubernetes before the conversion, for the backups.
    for (const n of ['cp1', 'cp2', 'cp3', 'w1']) {
      const r = await onNode(n, "find /etc/kubernetes -type f -printf '%m %u %g %p\\n'");
      for (const line of r.stdout.trim().split('\n')) {
        const [mode, u, g, ...p] = line.split(' ');
        modesBefore.set(`${n}:${p.join(' ')}`, `${mode} ${u} ${g}`);
      }
    }
    // An identity file at a hostile-but-valid path: it must be read as a path, never run.
    const keyDir = join(work, `keys $(touch ${CANARY}); x`);
    mkdirSync(keyDir);
    const key = join(keyDir, `id '\`touch ${CANARY}\`'`);
    copyFileSync(baseConfig.ssh.identityFiles[0], key);
    testMade.add(key);
    const p = variant('full', (c) => (c.ssh.identityFiles = [key]));
    const config = loadConfig(p).config;
    const audit: string[] = [];
    const deps = createEngineDeps(config, { askPassword: async () => PASSWORD, onExec: (r) => audit.push(JSON.stringify(r)) });
    try {
      const discovered = await discoverCluster(config, deps);
      assert.equal(preflightError(discovered.checks), null);
      const { plan, preview } = await previewConversion(planConversion(discovered), deps);
      writeFileSync(join(work, 'full-plan.json'), serializePlan(plan));
      output.push(renderPreview(preview, { color: false }), JSON.stringify(preview));
      const session = createSession(plan, { configText: readFileSync(p, 'utf8') });
      sessionId = session.id;
      const outcome = await apply(plan, session, deps, { factsFingerprint: discovered.fingerprint, onEvent: (e) => output.push(JSON.stringify(e)) });
      output.push(JSON.stringify(outcome), audit.join('\n'));
      assert.equal(outcome.status, 'finished', JSON.stringify(outcome));
    } finally {
      await deps.hosts.closeAll();
    }
  });

  test('no secret in the session directory, the audit log, the plan, HOME, the temp dirs or any output', () => {
    const files = filesUnder(work, (p) => p === labDir || p.startsWith(`${labDir}/`) || testMade.has(p));
    assert.ok(files.some((f) => f.endsWith('audit.log')) && files.some((f) => f.endsWith('journal.jsonl')) && files.some((f) => f.endsWith('full-plan.json')), files.join('\n'));
    const leaks: string[] = [];
    for (const [what, needle] of secrets()) {
      for (const f of files) if (readFileSync(f, 'utf8').includes(needle)) leaks.push(`${what} in ${f}`);
      output.forEach((o, i) => o.includes(needle) && leaks.push(`${what} in output #${i}`));
    }
    assert.deepEqual(leaks, []);
    assert.ok(output.join('\n').includes('(sensitive'), 'the preview marks private keys as sensitive');
    assert.deepEqual(canaryPlaces().filter((p) => existsSync(p)), [], 'no hostile value was run');
  });

  test('the session directory is private to its owner', () => {
    const dir = join(stateDir, 'sessions', sessionId);
    assert.equal(statSync(dir).mode & 0o077, 0, 'session dir');
    for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o077, 0, f);
  });

  test('private keys written on the new control-plane nodes are 0600 root:root; kubeconfigs with keys too', async () => {
    for (const n of ['cp2', 'cp3']) {
      const r = await onNode(n, "find /etc/kubernetes/pki -name '*.key' -printf '%m %u %g %p\\n'; for f in admin.conf super-admin.conf controller-manager.conf scheduler.conf; do [ -f /etc/kubernetes/$f ] && stat -c '%a %U %G %n' /etc/kubernetes/$f; done");
      const lines = r.stdout.trim().split('\n').filter(Boolean);
      assert.ok(lines.filter((l) => l.endsWith('.key')).length >= 8, `${n}: ${r.stdout}`);
      for (const l of lines) assert.match(l, /^600 root root /, `${n}: ${l}`);
    }
  });

  test('on-host backups: directory 0700, every saved file with its original mode', async () => {
    let saved = 0;
    for (const n of ['cp1', 'cp2', 'cp3', 'w1']) {
      const root = `/etc/kubernetes/tmp/ha-wizard-backup-${sessionId}`;
      const dirMode = await onNode(n, `stat -c '%a %U' ${root} 2>/dev/null || echo none`);
      if (dirMode.stdout.trim() === 'none') continue;
      assert.equal(dirMode.stdout.trim(), '700 root', `${n}: ${root}`);
      const r = await onNode(n, `cd ${root} && find . -type f -printf '%m %u %g %P\\n'`);
      for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
        const [mode, u, g, ...rest] = line.split(' ');
        const rel = rest.join(' ');
        // The backup mirrors the original path under the backup root (or names it by its full path).
        const original = [...modesBefore.keys()].find((k) => k.startsWith(`${n}:`) && (rel === k.slice(n.length + 1).slice(1) || rel.endsWith(k.slice(n.length + 1).replace(/^\//, ''))));
        if (!original) continue;
        saved++;
        assert.equal(`${mode} ${u} ${g}`, modesBefore.get(original), `${n}: backup of ${original}`);
      }
    }
    assert.ok(saved >= 3, `backups compared: ${saved}`);
  });
});
