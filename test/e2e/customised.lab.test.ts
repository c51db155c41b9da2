/**
 * Issue #13 parts 2 and 4 on the real components: a customised master converted by an SSH user that needs a sudo
 * password, with no terminal, then rolled back. One lab (cp1, cp2, cp3, a dedicated proxy host; login `ops`, sudo
 * asks for a password; Kubernetes 1.37 made by the real kubeadm):
 *
 *   customised master    cp1's kube-apiserver runs with an audit policy, an OIDC CA file and an encryption
 *                        provider config (test/e2e/customise.ts), each behind a flag and a hostPath volume
 *   sudo, no terminal    apply --yes --sudo-password-stdin with the password piped in: converts; the password is
 *                        in no output, journal, plan or audit log
 *   carried over         the plan lists the three files in one place and shows the public ones as diffs; the new
 *                        apiservers start with them (the real apiserver reads them: its audit log grows, a secret
 *                        written through cp2's apiserver is stored aescbc-encrypted); the files are byte-identical
 *                        with owner and mode; the encryption key is in no plan, journal or output
 *   rollback             rollback --past-point-of-no-return --sudo-password-stdin: no directory the run made
 *                        remains but the backups, and it says where those are
 *
 * Each fails without the fix: without the copies the new apiservers never start (apply fails after etcd joined);
 * without --sudo-password-stdin the flag is refused; without the directory cleanup pki/etcd and the carried
 * files' directories stay on cp2 and cp3.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { hostPath, labDown, labExec, labUp, nodeExec, type LabState, type RunResult } from '../../lab/lab.js';
import { run } from '../../lab/sys.js';
import { node, ok } from './judges.js';
import { AUDIT_LOG, AUDIT_POLICY, ENCRYPTION_CONFIG, OIDC_CA, customiseMaster, type Customised } from './customise.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const ETCDCTL = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key';
const NODES = ['cp1', 'cp2', 'cp3', 'lb'];
/** Where a run may leave directories: what the nodes' state lives in (the backups are judged separately). */
const DIRS = ['/etc/kubernetes', '/var/lib/etcd', '/var/lib/kubelet', '/var/lib/ha-wizard', '/var/log', '/etc/nginx'];
const fileStart = Date.now();
const password = `pw-${randomBytes(9).toString('hex')}`;

let dir = '';
let s: LabState;
let stateDir = '';
let custom: Customised;
let dirsBefore = new Map<string, string[]>();
let applied: RunResult;

async function dirsOf(name: string): Promise<string[]> {
  const r = await nodeExec(s, name, ['sh', '-c', 'find "$@" -xdev -type d 2>/dev/null | sort; exit 0', 'find', ...DIRS]);
  return r.stdout.split('\n').filter(Boolean);
}

/** ha-wizard from the lab's client end, the sudo password on standard input, no terminal. */
function wizard(args: string[], input = `${password}\n`): Promise<RunResult> {
  return labExec(dir, ['env', `HA_WIZARD_STATE_DIR=${stateDir}`, process.execPath, CLI, ...args], { timeoutMs: 500_000, input });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hawe2e-custom-'));
  s = await labUp({ dir, name: `cu${process.pid % 100000}`, promote: 2, workers: 0, proxyHost: true, k8sVersion: '1.37', sshUser: 'ops', sudoPassword: password });
  stateDir = join(dir, 'state');
  custom = await customiseMaster(s);
  for (const n of NODES) dirsBefore.set(n, await dirsOf(n));
  applied = await wizard(['apply', '-c', join(dir, 'cluster.yaml'), '--yes', '--sudo-password-stdin']);
});

after(async () => {
  if (dir) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`# customised.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

/** Every file the session wrote on the workstation (journal, plan, audit log, saved config). */
function sessionTexts(): string {
  const root = join(stateDir, 'sessions');
  return readdirSync(root).flatMap((id) => readdirSync(join(root, id)).filter((f) => statSync(join(root, id, f)).isFile()).map((f) => readFileSync(join(root, id, f), 'utf8'))).join('\n');
}

describe('a customised master, converted with a sudo password and no terminal, then rolled back', () => {
  test('apply --yes --sudo-password-stdin converts the cluster (the new apiservers start with the carried files)', () => {
    assert.equal(applied.code, 0, `${applied.stdout.slice(-5000)}\n${applied.stderr.slice(-5000)}`);
  });

  test('the plan lists the carried-over customisations in one place and shows the public ones as diffs', () => {
    const text = applied.stdout;
    const block = /Customisations carried over from cp1 to cp2, cp3[^\n]*\n((?: {2}[^\n]+\n)+)/.exec(text)?.[1] ?? '';
    assert.match(block, new RegExp(`${AUDIT_POLICY}  0644 0:0  needed by kube-apiserver\\.yaml --audit-policy-file`));
    assert.match(block, new RegExp(`${OIDC_CA}  0644 0:0  needed by kube-apiserver\\.yaml --oidc-ca-file`));
    assert.match(block, new RegExp(`${ENCRYPTION_CONFIG}  0600 0:0  \\(sensitive: copied host to host, never shown\\)  needed by kube-apiserver\\.yaml --encryption-provider-config`));
    assert.match(text, /Step \d+\/\d+ {2}carry-over-cp2: Customisations on cp2/);
    assert.match(text, /\+ create {2}\/etc\/kubernetes\/audit\/policy\.yaml \(0644\)\n[^\n]*\n\s*\+apiVersion: audit\.k8s\.io\/v1/);
    assert.match(text, /\+ create {2}\/etc\/kubernetes\/enc\/encryption\.yaml \(0600\)\n\s*\(sensitive, byte-identical copy of cp1:\/etc\/kubernetes\/enc\/encryption\.yaml, sha256:/);
  });

  test('the encryption key and the sudo password are in no output, plan, journal or audit log', () => {
    const everything = `${applied.stdout}\n${applied.stderr}\n${sessionTexts()}`;
    assert.ok(sessionTexts().includes('carry-over-cp2'), 'the session files were read');
    assert.ok(!everything.includes(custom.encryptionKey), 'the aescbc key leaked');
    assert.ok(!everything.includes(password), 'the sudo password leaked');
  });

  test('the files are on cp2 and cp3 byte for byte with owner and mode', async () => {
    for (const n of ['cp2', 'cp3']) {
      for (const f of [AUDIT_POLICY, OIDC_CA, ENCRYPTION_CONFIG]) {
        const [a, b] = [hostPath(node(s, 'cp1'), f), hostPath(node(s, n), f)];
        const sums = ok(await run('sha256sum', [a, b]), 'sha256sum').split('\n').map((l) => l.split(' ')[0]);
        assert.equal(sums[1], sums[0], `${n}:${f} differs from cp1's`);
        const [sa, sb] = [statSync(a), statSync(b)];
        assert.deepEqual([sb.mode & 0o7777, sb.uid, sb.gid], [sa.mode & 0o7777, sa.uid, sa.gid], `${n}:${f} owner and mode`);
      }
    }
  });

  test('the real apiservers on cp2 and cp3 read them: audit log written, secrets stored encrypted', async () => {
    for (const n of ['cp2', 'cp3']) {
      const flags = ok(await nodeExec(s, n, ['sh', '-c', 'K=kube-apiserver; for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); case "$c" in *"$K --"*) echo "$c";; esac; done']), `${n} processes`);
      for (const f of [`--audit-policy-file=${AUDIT_POLICY}`, `--oidc-ca-file=${OIDC_CA}`, `--encryption-provider-config=${ENCRYPTION_CONFIG}`]) assert.ok(flags.includes(f), `${n}'s kube-apiserver runs with ${f}: ${flags}`);
      assert.ok(statSync(hostPath(node(s, n), AUDIT_LOG)).size > 0, `${n}'s audit log is written`);
      const name = `enc-${n}`;
      ok(
        await nodeExec(s, n, ['kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', `--server=https://${node(s, n).address}:6443`, 'create', 'secret', 'generic', name, '--from-literal=k=v'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }),
        `a secret through ${n}'s apiserver`,
      );
      const raw = ok(await nodeExec(s, n, ['sh', '-c', `${ETCDCTL} get /registry/secrets/default/${name} --print-value-only | head -c 40`]), 'etcdctl get');
      assert.match(raw, /^k8s:enc:aescbc:v1:key1:/, `the secret written through ${n} is encrypted at rest`);
    }
  });

  test('rollback (--sudo-password-stdin) leaves no directory the run made but the backups, and says where they are', async () => {
    const r = await wizard(['rollback', '--past-point-of-no-return', '--yes', '--sudo-password-stdin']);
    assert.equal(r.code, 0, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    assert.match(`${r.stdout}${r.stderr}`, /Backups kept \(rollback never removes them; delete them once you no longer need them\): cp1: [^;]*\/etc\/kubernetes\/tmp\/ha-wizard-backup-/);
    const backup = /^(\/etc\/kubernetes\/tmp(\/ha-wizard-backup-[^/]+.*)?|\/var\/lib\/ha-wizard(\/backups(\/[^/]+)?)?)$/;
    for (const n of NODES) {
      const now = await dirsOf(n);
      const made = now.filter((d) => !dirsBefore.get(n)!.includes(d));
      assert.deepEqual(made.filter((d) => !backup.test(d)), [], `${n}: directories the run made are left`);
      assert.deepEqual(dirsBefore.get(n)!.filter((d) => !now.includes(d)), [], `${n}: directories that were there are gone`);
    }
    assert.ok(!`${r.stdout}${r.stderr}${sessionTexts()}`.includes(password), 'the sudo password leaked in rollback');
  });
});
