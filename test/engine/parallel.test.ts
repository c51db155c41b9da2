/**
 * The concurrent executor: a step with `parallelHosts` runs its hosts' lanes at once (bounded), each host's
 * actions in plan order, its `gate` alone after them; a failure stops new work and names its host; every
 * `started` is on disk before the host is touched; rollback undoes each host newest first; a crash in the
 * middle of a parallel batch resumes to the same end state. Also the scheduler's pure parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apply } from '../../src/engine/run/executor.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { buildPlan, type Plan } from '../../src/engine/model/plan.js';
import { createSession, newSessionId } from '../../src/engine/records/session.js';
import { readJournal, type JournalRecord } from '../../src/engine/records/journal.js';
import { atomicUnits, runLanes, segmentsOf } from '../../src/engine/run/schedule.js';
import { scheduleProblems } from '../../src/engine/model/plan.js';
import type { Action } from '../../src/engine/model/actions.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import type { Hosts } from '../../src/engine/model/ports.js';
import type { RemoteHost } from '../../src/engine/model/remote-host.js';
import { deps, NODES, representativePlan, seedNodes } from './fixtures.js';
import { dirHosts } from './dir-host.js';
import { inProcess, runChild, skipBackups, skipVolatile, snapshot } from './crash-harness.js';

const WORKERS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const LIMIT = 3;

const mark = (host: string, what: string) => `/etc/kubernetes/mark-${host}-${what}`;

/** Per worker: touch a, write conf, touch b; then a gate on cp; then a sequential step on cp. */
function fleetPlan(failOn?: string): Plan {
  const acts: Action[] = [];
  for (const w of WORKERS) {
    const run = (what: string): Action => ({
      id: `fleet/${w}/${what}`,
      step: 'fleet',
      description: `${what} on ${w}`,
      risk: 'reversible',
      type: 'run',
      host: w,
      argv: failOn === `fleet/${w}/${what}` ? ['false', mark(w, what)] : ['touch', mark(w, what)],
      undo: ['rm', '-f', mark(w, what)],
    });
    acts.push(run('a'), {
      id: `fleet/${w}/conf`,
      step: 'fleet',
      description: `conf on ${w}`,
      risk: 'reversible',
      type: 'write-file',
      host: w,
      path: '/etc/kubernetes/kubelet.conf',
      content: { type: 'literal', text: `server: https://lb:6443 # ${w}\n` },
      mode: 0o600,
    }, run('b'));
  }
  acts.push({ id: 'fleet/cp/gate', step: 'fleet', description: 'health gate', risk: 'read-only', type: 'wait', probe: { type: 'file', host: 'cp', path: '/etc/kubernetes/ready' }, timeoutMs: 5000, intervalMs: 20, gate: true });
  const after: Action = { id: 'after/cp/x', step: 'after', description: 'after the batch', risk: 'reversible', type: 'run', host: 'cp', argv: ['touch', mark('cp', 'x')], undo: ['rm', '-f', mark('cp', 'x')] };
  return buildPlan({
    cluster: 'unit',
    factsFingerprint: 'f',
    steps: [
      { id: 'fleet', title: 'Fleet', description: '', risk: 'reversible', parallelHosts: WORKERS.length, actions: acts },
      { id: 'after', title: 'After', description: '', risk: 'reversible', actions: [after] },
    ],
  });
}

interface Trace {
  /** Per host, the argv[0] + path of every command, in the order they ran. */
  commands: Map<string, string[]>;
  maxInFlight: number;
  maxPerHost: number;
  /** Commands that found no `started` record of their action on disk when they touched the host. */
  unjournaled: string[];
}

/**
 * Dir-hosts whose commands are traced and take a turn of the event loop. The first LIMIT commands wait for
 * each other (a rendezvous), so the test sees lanes overlap without depending on timing; a bound above
 * LIMIT would show as more commands in flight.
 */
function tracedHosts(base: string, journalPath: () => string, plan: Plan): { hosts: Hosts; trace: Trace } {
  const inner = dirHosts(base, [...WORKERS, 'cp']);
  const trace: Trace = { commands: new Map(), maxInFlight: 0, maxPerHost: 0, unjournaled: [] };
  const byPath = new Map<string, string>();
  for (const a of plan.actions) if (a.type === 'run') byPath.set(a.argv[1]!, a.id);
  let inFlight = 0;
  const perHost = new Map<string, number>();
  let waiting: Array<() => void> = [];
  let rendezvous = true;
  const wrap = (h: RemoteHost): RemoteHost => ({
    ...h,
    name: h.name,
    address: h.address,
    readFile: (p) => h.readFile(p),
    stat: (p) => h.stat(p),
    sha256: (p) => h.sha256(p),
    writeFileAtomic: (p, d, o) => h.writeFileAtomic(p, d, o),
    forwardOut: (x, p) => h.forwardOut(x, p),
    close: () => h.close(),
    async exec(argv, opts) {
      const id = byPath.get(argv[1] ?? '');
      if (id && (argv[0] === 'touch' || argv[0] === 'false')) {
        const started = readJournal(journalPath()).some((r) => r.type === 'started' && r.action === id && r.phase === 'apply');
        if (!started) trace.unjournaled.push(id);
      }
      const list = trace.commands.get(h.name) ?? [];
      list.push(`${argv[0]} ${argv[argv.length - 1]}`);
      trace.commands.set(h.name, list);
      inFlight++;
      perHost.set(h.name, (perHost.get(h.name) ?? 0) + 1);
      trace.maxInFlight = Math.max(trace.maxInFlight, inFlight);
      trace.maxPerHost = Math.max(trace.maxPerHost, perHost.get(h.name)!);
      try {
        if (rendezvous) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length >= LIMIT) {
              rendezvous = false;
              for (const r of waiting) r();
              waiting = [];
            }
          });
        } else await new Promise((r) => setImmediate(r));
        return await h.exec(argv, opts);
      } finally {
        inFlight--;
        perHost.set(h.name, perHost.get(h.name)! - 1);
      }
    },
  });
  return { hosts: { get: async (n) => wrap(await inner.get(n)) }, trace };
}

function setup(plan: Plan) {
  const base = mkdtempSync(join(tmpdir(), 'haw-par-'));
  for (const w of WORKERS) {
    mkdirSync(join(base, w, 'etc/kubernetes'), { recursive: true });
    writeFileSync(join(base, w, 'etc/kubernetes/kubelet.conf'), `server: https://10.0.0.1:6443 # ${w}\n`, { mode: 0o600 });
  }
  mkdirSync(join(base, 'cp/etc/kubernetes'), { recursive: true });
  writeFileSync(join(base, 'cp/etc/kubernetes/ready'), '');
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  const session = createSession(plan, { env });
  const { hosts, trace } = tracedHosts(base, () => session.journalPath, plan);
  return { base, env, session, trace, deps: { ...deps(base), hosts } };
}

/** Every action's apply records: started before done, one each (or a failed instead of done). */
function pairs(records: readonly JournalRecord[], phase: 'apply' | 'rollback') {
  const out = new Map<string, string[]>();
  for (const r of records) {
    if ((r.type === 'started' || r.type === 'done' || r.type === 'failed') && r.phase === phase) out.set(r.action, [...(out.get(r.action) ?? []), r.type]);
  }
  return out;
}

test('parallel step: bound respected, each host in plan order, gate after every lane, journal started before the host is touched', async () => {
  const plan = fleetPlan();
  const t = setup(plan);
  const events: EngineEvent[] = [];
  const out = await apply(plan, t.session, t.deps, { env: t.env, maxParallelHosts: LIMIT, onEvent: (e) => events.push(e) });
  assert.equal(out.status, 'finished', JSON.stringify(out));
  assert.equal(t.trace.maxInFlight, LIMIT, 'lanes overlapped up to the bound and never beyond');
  assert.equal(t.trace.maxPerHost, 1, 'never two commands at once on one host');
  assert.deepEqual(t.trace.unjournaled, []);
  for (const w of WORKERS) {
    // The write's backup housekeeping (mkdir) comes between a and b: order within the host is the plan's.
    assert.deepEqual(t.trace.commands.get(w)?.filter((c) => c.startsWith('touch')), [`touch ${mark(w, 'a')}`, `touch ${mark(w, 'b')}`], w);
    assert.equal(readFileSync(join(t.base, w, 'etc/kubernetes/kubelet.conf'), 'utf8'), `server: https://lb:6443 # ${w}\n`);
  }
  const at = (type: EngineEvent['type'], action: string) => events.findIndex((e) => e.type === type && 'action' in e && e.action === action);
  const gateStart = at('action-start', 'fleet/cp/gate');
  for (const a of plan.actions.filter((x) => x.step === 'fleet' && !x.gate)) assert.ok(at('action-done', a.id) < gateStart, `${a.id} done before the gate`);
  assert.ok(at('action-done', 'fleet/cp/gate') < at('action-start', 'after/cp/x'));
  const records = readJournal(t.session.journalPath);
  for (const a of plan.actions) assert.deepEqual(pairs(records, 'apply').get(a.id), ['started', 'done'], a.id);

  // Rollback: the same lanes, each host newest first (b, conf, a), and every file as before.
  const back = await rollback(t.session, t.deps, { env: t.env, maxParallelHosts: LIMIT });
  assert.equal(back.status, 'finished', JSON.stringify(back));
  for (const w of WORKERS) {
    assert.deepEqual(t.trace.commands.get(w)?.filter((c) => c.startsWith('rm')), [`rm ${mark(w, 'b')}`, `rm ${mark(w, 'a')}`], w);
    assert.equal(readFileSync(join(t.base, w, 'etc/kubernetes/kubelet.conf'), 'utf8'), `server: https://10.0.0.1:6443 # ${w}\n`);
  }
  rmSync(t.base, { recursive: true, force: true });
});

test('parallel step: a failure on one host lets in-flight actions finish, starts nothing new, names the host and action', async () => {
  const plan = fleetPlan('fleet/w2/a');
  const t = setup(plan);
  const out = await apply(plan, t.session, t.deps, { env: t.env, maxParallelHosts: LIMIT });
  assert.equal(out.status, 'failed');
  assert.equal(out.status === 'failed' && out.action, 'fleet/w2/a');
  assert.equal(out.status === 'failed' && out.host, 'w2');
  assert.match(out.status === 'failed' ? out.error : '', /w2: `false \/etc\/kubernetes\/mark-w2-a` exited with 1/);
  const p = pairs(readJournal(t.session.journalPath), 'apply');
  assert.deepEqual(p.get('fleet/w2/a'), ['started', 'failed']);
  // w1 and w3 were in flight with w2: their first action finished, nothing after it started.
  for (const w of ['w1', 'w3']) {
    assert.deepEqual(p.get(`fleet/${w}/a`), ['started', 'done'], w);
    assert.equal(p.get(`fleet/${w}/conf`), undefined, `${w} started nothing new`);
  }
  for (const w of ['w4', 'w5', 'w6']) assert.equal(t.trace.commands.get(w), undefined, `${w} untouched`);
  assert.equal(p.get('fleet/cp/gate'), undefined, 'the gate never ran');
  // Every started action ended with done or failed: nothing is left in an unknown state by a plain failure.
  for (const [id, recs] of p) assert.equal(recs.length, 2, `${id}: ${recs.join(',')}`);
  rmSync(t.base, { recursive: true, force: true });
});

test('scheduler: segments cut at gates, lanes by host in order; units from pairedWith; pairs must fit in one lane', () => {
  const plan = fleetPlan();
  const fleet = plan.actions.filter((a) => a.step === 'fleet');
  const segs = segmentsOf(fleet, { parallelHosts: 6 }, 4);
  assert.deepEqual(segs.map((s) => [s.limit, s.lanes.map((l) => l.map((a) => a.id.split('/').slice(1).join('/')))]), [
    [4, WORKERS.map((w) => [`${w}/a`, `${w}/conf`, `${w}/b`])],
    [1, [['cp/gate']]],
  ]);
  // Without parallelHosts (or capped to 1): one lane, plan order, gates or not.
  assert.deepEqual(segmentsOf(fleet, {}, 50).map((s) => s.lanes.map((l) => l.length)), [[fleet.length]]);
  assert.deepEqual(segmentsOf(fleet, { parallelHosts: 6 }, 1).map((s) => s.lanes.length), [1]);

  const a = (id: string, host: string, extra: Partial<Action> = {}): Action => ({ id, step: 's', description: id, risk: 'reversible', type: 'remove-file', host, path: '/x', ...extra }) as Action;
  const acts = [a('s/1', 'h'), a('s/2', 'h', { pairedWith: 's/4' }), a('s/3', 'h'), a('s/4', 'h'), a('s/5', 'h')];
  assert.deepEqual([...atomicUnits(acts).values()], [1, 2, 2, 2, 3]);
  assert.deepEqual(scheduleProblems({ id: 's', parallelHosts: 2 }, acts), []);
  assert.match(scheduleProblems({ id: 's' }, [a('s/0', 'h'), a('s/1', 'h', { pairedWith: 's/0' })])[0] ?? '', /must name a later action/);
  assert.match(scheduleProblems({ id: 's', parallelHosts: 2 }, [a('s/1', 'h', { pairedWith: 's/2' }), a('s/x', 'other'), a('s/2', 'h')])[0] ?? '', /must be on h/);
  assert.throws(() => buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [{ id: 's', title: '', description: '', risk: 'reversible', actions: [a('s/1', 'h', { pairedWith: 's/9' })] }] }), /pairedWith "s\/9"/);
});

test('runLanes: never more lanes at once than the limit; a failure ends the segment after the lanes in flight', async () => {
  const a = (id: string, host: string): Action => ({ id, step: 's', description: id, risk: 'reversible', type: 'remove-file', host, path: '/x' });
  const lanes = ['h1', 'h2', 'h3', 'h4', 'h5'].map((h) => [a(`${h}/1`, h), a(`${h}/2`, h)]);
  let now = 0;
  let max = 0;
  const ran: string[] = [];
  const r = await runLanes({ lanes, limit: 2 }, async (x) => {
    now++;
    max = Math.max(max, now);
    await new Promise((res) => setImmediate(res));
    now--;
    ran.push(x.id);
    if (x.id === 'h3/1') throw new Error('boom');
  }, () => true);
  assert.equal(max, 2);
  assert.equal(r.complete, false);
  assert.deepEqual(r.failures.map((f) => f.action.id), ['h3/1']);
  assert.ok(!ran.includes('h5/1') && !ran.includes('h3/2'), ran.join(' '));
});

// ---- crash in the middle of a parallel batch, then resume ----------------------------------------

function freshParallel() {
  const base = mkdtempSync(join(tmpdir(), 'haw-parcrash-'));
  seedNodes(base);
  const env = { ...process.env, HA_WIZARD_STATE_DIR: join(base, 'state') };
  const plan = representativePlan({ parallelHosts: NODES.length });
  const session = createSession(plan, { id: newSessionId(plan.cluster), env });
  return { base, env, session };
}

test('crash at every record of a parallel batch: resume ends as an uninterrupted apply, rollback restores every file', async () => {
  const ref = freshParallel();
  const initial = snapshot(ref.base, skipBackups);
  const r = runChild('apply', ref.base, ref.env, ref.session.id);
  assert.equal(r.status, 0, r.stderr);
  const applied = snapshot(ref.base, skipVolatile);
  const records = readJournal(ref.session.journalPath);
  // The batch's records interleave hosts (it really ran in parallel); crash at each of them.
  const batch = records.flatMap((x, i) => (x.type !== 'begin' && 'action' in x && x.action.startsWith('files/') ? [i + 1] : []));
  const hostsInOrder = records.flatMap((x) => ('action' in x && x.action.startsWith('files/') && x.type === 'started' ? [x.action.split('/')[1]] : []));
  assert.notDeepEqual(hostsInOrder, [...hostsInOrder].sort(), `records interleave hosts: ${hostsInOrder.join(' ')}`);
  rmSync(ref.base, { recursive: true, force: true });
  for (const n of batch) {
    const t = freshParallel();
    const killed = runChild('apply', t.base, t.env, t.session.id, n);
    assert.equal(killed.signal, 'SIGKILL', `record ${n}: ${killed.stderr}`);
    const res = await inProcess('resume', t.base, t.env, t.session);
    assert.equal(res.status, 'finished', `resume after record ${n}: ${JSON.stringify(res)}`);
    assert.deepEqual(snapshot(t.base, skipVolatile), applied, `state after crash at record ${n} + resume`);
    const back = await inProcess('rollback', t.base, t.env, t.session);
    assert.equal(back.status, 'finished', `rollback after record ${n}: ${JSON.stringify(back)}`);
    assert.deepEqual(snapshot(t.base, skipBackups), initial, `files after crash at record ${n}, resume, rollback`);
    rmSync(t.base, { recursive: true, force: true });
  }
  assert.ok(batch.length >= 6, `crashed at ${batch.length} records of the batch`);
});
