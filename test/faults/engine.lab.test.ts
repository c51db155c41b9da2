/**
 * The engine over the real SSH transport, lean: the representative plan of the engine unit tests
 * (test/engine/fixtures.ts) on a `cluster: false` lab whose cp1..cp3 stand for node1..node3.
 *  - preview (observe + render) leaves every file's hash identical;
 *  - a SIGKILL right after every journal record, then resume: the nodes end as after an uninterrupted
 *    apply; rollback from every crash point restores every file byte for byte (and mode);
 *  - on a lab whose sudo asks for a password, apply and rollback leak the password nowhere.
 * Lab wall time ~2-4 min on 2 cores (one process start and three SSH connections per crash point).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostPath, labDown, labUp, type LabState } from '../../lab/lab.js';
import { labName } from '../ssh/lab-helpers.js';
import { createSession, newSessionId, type Session } from '../../src/engine/records/session.js';
import { apply } from '../../src/engine/run/executor.js';
import { resume } from '../../src/engine/run/resume.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { readJournal } from '../../src/engine/records/journal.js';
import { observe } from '../../src/engine/preview/observe.js';
import { buildPreview } from '../../src/engine/preview/preview.js';
import { renderPreview } from '../../src/reporters/preview-text.js';
import type { Outcome } from '../../src/engine/run/context.js';
import type { ExecAuditRecord } from '../../src/ssh/remote-host.js';
import { representativePlan } from '../engine/fixtures.js';
import { engineDeps, labHashes, seedLab } from './engine-hosts.js';

const child = fileURLToPath(new URL('./engine-child.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hawf-eng-'));
const labs: string[] = [];
let s: LabState;

before(async () => {
  const dir = join(work, 'lab');
  labs.push(dir);
  s = await labUp({ dir, name: labName('hawfe'), promote: 2, workers: 0, cluster: false });
});
after(async () => {
  for (const d of labs) await labDown(d).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

// Generated keys differ run to run, and backups are engine bookkeeping.
const skipVolatile = (rel: string) => rel === 'tmp' || rel === 'pki/new.key';
const skipBackups = (rel: string) => rel === 'tmp';

function runChild(op: string, env: NodeJS.ProcessEnv, id: string, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [child, op, s.dir, id], {
      env: { ...env, ...(killAfter ? { HA_WIZARD_TEST_KILL_AFTER_RECORD: String(killAfter) } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function fresh(name: string): { env: NodeJS.ProcessEnv; session: Session } {
  seedLab(s);
  const env: NodeJS.ProcessEnv = { ...process.env, HA_WIZARD_STATE_DIR: join(work, name) };
  delete env.HA_WIZARD_TEST_KILL_AFTER_RECORD;
  const plan = representativePlan();
  return { env, session: createSession(plan, { id: newSessionId(plan.cluster), env }) };
}

async function inProcess(op: 'resume' | 'rollback', env: NodeJS.ProcessEnv, session: Session): Promise<Outcome> {
  const d = engineDeps(s.dir);
  const saved = process.env.HA_WIZARD_STATE_DIR;
  process.env.HA_WIZARD_STATE_DIR = env.HA_WIZARD_STATE_DIR;
  try {
    return op === 'resume' ? await resume(session, d, { env }) : await rollback(session, d, { env });
  } finally {
    process.env.HA_WIZARD_STATE_DIR = saved;
    await d.hosts.closeAll();
  }
}

test('preview over SSH reads the hosts and changes nothing: every hash identical, no backup dir', async () => {
  seedLab(s);
  const before = labHashes(s);
  const audit: ExecAuditRecord[] = [];
  const d = engineDeps(s.dir, { onExec: (r) => audit.push(r) });
  try {
    const text = renderPreview(buildPreview(representativePlan(), await observe(representativePlan(), d.hosts, d.kube)));
    assert.match(text, /~ replace \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml \(0600\)/);
    assert.match(text, /\+  endpoint: lb\.example:6443/);
    assert.match(text, /- remove  \/etc\/kubernetes\/old\.conf/);
    assert.match(text, / upstream node2\n\s+\+upstream node3/);
  } finally {
    await d.hosts.closeAll();
  }
  assert.deepEqual(labHashes(s), before);
  const mutating = audit.filter((r) => !['sh', 'sha256sum', 'cat', 'stat', 'test'].includes(r.argv[0] ?? '') || /\b(rm|mv|install|touch|mkdir|chmod|chown)\b/.test(r.argv.join(' ')));
  assert.deepEqual(mutating.map((r) => r.argv.join(' ')), [], 'preview ran only read-only commands');
});

test('crash after every journal record over SSH: resume equals an uninterrupted apply; rollback from every crash point restores every byte', async () => {
  const ref = fresh('ref');
  const initial = labHashes(s, skipBackups);
  const r = await runChild('apply', ref.env, ref.session.id);
  assert.equal(r.code, 0, r.stderr);
  const applied = labHashes(s, skipVolatile);
  assert.notDeepEqual(applied, initial);
  const total = readJournal(ref.session.journalPath).length;
  const rb = await runChild('rollback', ref.env, ref.session.id);
  assert.equal(rb.code, 0, rb.stderr);
  assert.deepEqual(labHashes(s, skipBackups), initial, 'rollback after a full apply');

  let crashes = 0;
  for (let n = 1; n <= total; n++) {
    const t = fresh(`crash-${n}`);
    const killed = await runChild('apply', t.env, t.session.id, n);
    assert.equal(killed.signal, 'SIGKILL', `record ${n}: exit ${killed.code}: ${killed.stderr}`);
    crashes++;
    if (n % 2 === 1) {
      const res = await inProcess('resume', t.env, t.session);
      assert.equal(res.status, 'finished', `resume after record ${n}: ${JSON.stringify(res)}`);
      assert.deepEqual(labHashes(s, skipVolatile), applied, `state after crash at record ${n} + resume`);
      assert.match(readFileSync(hostPath(s.nodes.find((x) => x.name === 'cp1')!, '/etc/kubernetes/pki/new.key'), 'utf8'), /BEGIN EC PRIVATE KEY/);
    }
    const back = await inProcess('rollback', t.env, t.session);
    assert.equal(back.status, 'finished', `rollback after record ${n}: ${JSON.stringify(back)}`);
    assert.deepEqual(labHashes(s, skipBackups), initial, `files after crash at record ${n} + rollback`);
    for (const f of readdirSync(t.session.dir)) {
      assert.doesNotMatch(readFileSync(join(t.session.dir, f), 'utf8'), /PRIVATE KEY/, `${f} after crash ${n}`);
    }
  }
  assert.equal(crashes, total);
  assert.ok(total >= 20, `only ${total} journal records`);
  process.stdout.write(`# crash points over SSH: ${crashes} journal records\n`);
});

test('sudo with a password: apply and rollback work, and the password is in no event, audit record, session file or node file', async () => {
  const dir = join(work, 'sudo-lab');
  labs.push(dir);
  const password = `Pw-${randomBytes(9).toString('base64url')}`;
  const pw = await labUp({ dir, name: labName('hawfp'), promote: 2, workers: 0, cluster: false, sshUser: 'ops', sudoPassword: password });
  seedLab(pw);
  const initial = labHashes(pw, skipBackups);
  const env = { ...process.env, HA_WIZARD_STATE_DIR: join(work, 'sudo-state') };
  const plan = representativePlan();
  const session = createSession(plan, { id: newSessionId(plan.cluster), env });
  const seen: string[] = [];
  let asked = 0;
  const run = async (op: 'apply' | 'rollback'): Promise<Outcome> => {
    const d = engineDeps(pw.dir, { askPassword: async () => (asked++, password), onExec: (rec) => seen.push(JSON.stringify(rec)) });
    const saved = process.env.HA_WIZARD_STATE_DIR;
    process.env.HA_WIZARD_STATE_DIR = env.HA_WIZARD_STATE_DIR;
    try {
      const onEvent = (e: unknown) => seen.push(JSON.stringify(e));
      const out = op === 'apply' ? await apply(plan, session, d, { env, onEvent }) : await rollback(session, d, { env, onEvent });
      seen.push(JSON.stringify(out));
      return out;
    } finally {
      process.env.HA_WIZARD_STATE_DIR = saved;
      await d.hosts.closeAll();
    }
  };
  const a = await run('apply');
  assert.equal(a.status, 'finished', JSON.stringify(a));
  assert.notDeepEqual(labHashes(pw, skipBackups), initial);
  assert.ok(seen.some((x) => x.includes('"argv"')), 'commands were audited');
  const b = await run('rollback');
  assert.equal(b.status, 'finished', JSON.stringify(b));
  assert.deepEqual(labHashes(pw, skipBackups), initial);
  assert.equal(asked, 2, 'asked once per run');

  const found: string[] = [];
  for (const x of seen) if (x.includes(password)) found.push(`event/audit: ${x.slice(0, 200)}`);
  const scan = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) for (const e of readdirSync(path)) scan(join(path, e));
    else if (statSync(path).isFile() && readFileSync(path, 'latin1').includes(password)) found.push(path);
  };
  scan(env.HA_WIZARD_STATE_DIR);
  for (const n of pw.nodes) for (const p of ['/etc/kubernetes', '/home', '/root', '/var/log']) scan(hostPath(n, p));
  assert.deepEqual(found, []);
});
