/**
 * Every screen in a real terminal (tmux) at 100×30 and 80×24, judged by what a person sees (capture-pane): the real
 * wizard on a runtime that plays a realistic conversion without hosts (wizard-fixture.tsx: the plan built by the
 * real steps, its run replayed as the engine reports one). No lab: these need only tmux (a lab package). Every wait
 * is on screen text, never a fixed sleep. What a real conversion shows is judged in tmux.lab.test.ts.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSteps } from '../../steps/index.js';
import type { CertSpec } from '../../src/engine/model/actions.js';
import { makeFacts } from '../steps/facts-fixture.js';
import { Tmux } from './tmux.js';

const fixture = fileURLToPath(new URL('./wizard-fixture.js', import.meta.url));
const dirs: string[] = [];
const terms: Tmux[] = [];
after(async () => {
  for (const t of terms) await t.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The kube-proxy rollout wait's limit in the fixture's plan. */
function kubeProxyWaitMs(): number {
  const steps = buildSteps(makeFacts({ promote: 2, workers: 1 }), { session: 'lab-20261206-120000-beef' });
  const wait = steps.flatMap((s) => s.actions).find((a) => a.id.endsWith('/kube-proxy-rolled-out'));
  assert.ok(wait && wait.type === 'wait');
  return wait.timeoutMs;
}

/** The SANs the plan's new apiserver certificate for cp1 carries, from the same steps the fixture plans with. */
function expectedSans(): string[] {
  const steps = buildSteps(makeFacts({ promote: 2, workers: 1 }), { session: 'lab-20261206-120000-beef' });
  const cert = steps.flatMap((s) => s.actions).find((a) => a.type === 'write-file' && a.step === 'endpoint-cert' && a.content.type === 'certificate');
  assert.ok(cert && cert.type === 'write-file' && cert.content.type === 'certificate');
  const spec = (cert.content as { spec: CertSpec }).spec;
  return [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((i) => `IP:${i}`)];
}

async function start(cols: number, rows: number, ...args: string[]): Promise<{ t: Tmux; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hawscr-'));
  dirs.push(dir);
  const t = await Tmux.start({ dir, argv: [process.execPath, fixture, dir, ...args], cols, rows });
  terms.push(t);
  return { t, dir };
}

const lines = (screen: string) => screen.split('\n');
function fits(screen: string, cols: number, rows: number): void {
  assert.ok(lines(screen).length <= rows, `at most ${rows} rows:\n${screen}`);
  for (const l of lines(screen)) assert.ok(l.length <= cols, `a line wider than ${cols}: ${l}`);
}
/**
 * The screen as running text: a row as wide as the terminal was cut mid-word (its next row goes on without a space),
 * any other line break is a space; runs of spaces are one. What wrapped is read whole again.
 */
function prose(screen: string, cols: number): string {
  let out = '';
  for (const row of screen.split('\n')) out += out && out.split('\n').at(-1)!.length === cols ? row.trimStart() : `\n${row}`;
  return out.replace(/\s+/g, ' ');
}

for (const [cols, rows] of [
  [100, 30],
  [80, 24],
] as const) {
  describe(`${cols}x${rows}`, () => {
    test('plan review: every SAN of the new certificate on its own line, in full; / searches the plan, n goes on', async () => {
      const { t } = await start(cols, rows);
      await t.waitFor(/Enter to make the plan/);
      await t.keys('Enter');
      const plan = await t.waitFor(/a: approve/);
      fits(plan, cols, rows);
      assert.match(plan, /17 steps, 134 actions/);
      await t.keys('/');
      await t.waitFor(/Enter: find/);
      await t.type('SANs');
      await t.keys('Enter');
      const found = await t.waitFor(/\/SANs: match 1 of \d+/);
      fits(found, cols, rows);
      assert.match(found, /Step 3\/17 endpoint-cert/);
      const shown = lines(found).map((l) => l.trim());
      for (const san of expectedSans()) assert.ok(shown.includes(san), `${san} on a line of its own; the screen:\n${found}`);
      assert.ok(shown.includes('DNS:kubernetes.default.svc.cluster.local'), 'the longest name is not cut');
      await t.keys('n');
      await t.waitFor(/\/SANs: match 2 of \d+/);
      // ? lists the keys of this screen: the search and approval, not the connect screen's.
      await t.keys('?');
      const help = await t.waitFor(/Keys on this screen/);
      fits(help, cols, rows);
      assert.match(help, /\/ +search the whole plan/);
      assert.doesNotMatch(help, /accept \(host key\)|edit the config/);
      await t.keys('Escape');
      await t.waitFor(/\/SANs: match 2/);
      await t.keys('q');
      assert.equal(await t.waitExit(), 0);
    });

    test('apply: a wait says what it waits for, how long of its limit, the last answer in words; the count is the plan\'s; the done screen fits', async () => {
      const { t, dir } = await start(cols, rows);
      writeFileSync(join(dir, 'hold'), '');
      await t.waitFor(/Enter to make the plan/);
      await t.keys('Enter');
      await t.waitFor(/a: approve/);
      await t.keys('a');
      await t.waitFor(/Type\s+'lab'\s+to\s+apply\s+it/);
      await t.type('lab');
      await t.keys('Enter');
      const waiting = await t.waitFor(/last check: 2\/4 kube-proxy pods updated/);
      fits(waiting, cols, rows);
      assert.match(waiting, /wait until every kube-proxy pod is replaced and available/);
      const limit = /waited 20 s of (\d+) s · last check: 2\/4 kube-proxy pods updated, 2\s+available/.exec(waiting);
      assert.ok(limit, `elapsed of limit and the answer in words:\n${waiting}`);
      assert.equal(Number(limit[1]) * 1000, kubeProxyWaitMs(), 'the limit is the wait\'s own');
      // The step's count is out of the plan's 6 actions from the start: it never jumps.
      assert.match(waiting, /▸ 15\/17 repoint-cluster \[disruptive\] \d\/6/);
      assert.doesNotMatch(waiting, /sh -c|kubectl|jsonpath/, 'never the probe\'s shell');
      rmSync(join(dir, 'hold'));
      const done = await t.waitFor(/Enter or q to quit/);
      fits(done, cols, rows);
      // The headline and the change count stay on screen: nothing scrolled away.
      assert.match(done, /^Done: cluster lab is highly available\.$/m);
      assert.match(done, /Session lab-20261206-120000-beef: 114 change\(s\) made, 20 already in place\./);
      assert.match(done, /Verification: 12 of 12 checks passed · v: list them/);
      assert.match(prose(done, cols), /etcd snapshot from before the first change: \/var\/lib\/etcd\/ha-wizard-lab-20261206-120000-beef\.snapshot\.db on cp1/);
      assert.match(prose(done, cols), /Undo everything: ha-wizard rollback lab-20261206-120000-beef --past-point-of-no-return/);
      await t.keys('v');
      const first = await t.waitFor(/Verification of cluster lab: 12 of 12 checks passed/);
      fits(first, cols, rows);
      let checks = prose(first, cols);
      for (let i = 0; i < 3; i++) {
        await t.keys('PageDown');
        checks += prose(await t.screen(), cols);
      }
      // The three calls through the endpoint, told apart.
      for (const n of [1, 2, 3]) assert.match(checks, new RegExp(`✓ cp1: https://k8s-api\\.lab\\.example:6443/readyz answers from cp1 with a certificate valid for k8s-api\\.lab\\.example \\(call ${n} of 3`));
      await t.keys('Escape');
      await t.waitFor(/Done: cluster lab is highly available/);
      await t.keys('q');
      assert.equal(await t.waitExit(), 0);
      const after = await t.screen();
      // The last words on a line of their own, not after the key hints.
      const hint = lines(after).find((l) => /\? keys/.test(l));
      assert.ok(hint === undefined || !/Session|complete/.test(hint), `the message is not on the key-hint line:\n${after}`);
      assert.match(after, /^Session lab-20261206-120000-beef complete\./m);
    });

    test('resume offer first; roll it back: the preview, then the name typed (a Backspace burst erases); a wrong word starts nothing', async () => {
      const { t, dir } = await start(cols, rows, '--resume');
      const offer = await t.waitFor(/A conversion is in progress/);
      assert.doesNotMatch(offer, /Load a config file/, 'the offer comes before the menu');
      await t.keys('Down');
      await t.keys('Enter');
      const review = await t.waitFor(/What will be undone/);
      fits(review, cols, rows);
      let all = review;
      let flat = prose(review, cols);
      let shown = review;
      for (let i = 0; i < 100 && !/Rollback: \d+ files? restored/.test(flat); i++) {
        await t.keys('PageDown');
        // The page once it is redrawn (read too early, it is the last one again, and the next key skips one).
        let page = await t.screen();
        for (let k = 0; k < 40 && page === shown; k++) {
          await new Promise((res) => setTimeout(res, 50));
          page = await t.screen();
        }
        shown = page;
        all += `\n${page}`;
        flat += prose(page, cols);
      }
      assert.match(flat, /~ restore \/etc\/kubernetes\/\S+ from \/etc\/kubernetes\/tmp\/ha-wizard-backup-lab-20261206-120000-beef\//);
      assert.match(all, /^ +\+# as kubeadm wrote it$/m, 'a diff against what is there now');
      assert.match(all, /^ +-.*k8s-api\.lab\.example/m);
      assert.match(all, /^ +\+.*10\.200\.0\.11/m);
      assert.match(flat, /- remove \/etc\/kubernetes\/\S+: it did not exist before this session/);
      assert.match(flat, /✂ remove etcd member cp3 \(https:\/\/10\.200\.0\.13:2380\)/);
      assert.match(flat, /✂ remove etcd member cp2 \(https:\/\/10\.200\.0\.12:2380\)/);
      assert.match(flat, /etcd members cp3, cp2 removed/);
      await t.keys('a');
      await t.waitFor(/Type\s+'lab'\s+to\s+roll\s+back/);
      await t.type('yes');
      await t.keys('Enter');
      await t.waitFor(/Only 'lab' will be accepted to roll back/);
      assert.doesNotMatch(readFileSync(join(dir, 'calls'), 'utf8'), /^rollback /m, 'a wrong word rolls nothing back');
      assert.match(readFileSync(join(dir, 'calls'), 'utf8'), /^preview-rollback lab-20261206-120000-beef$/m);
      await t.type('labxyz');
      await t.waitFor(/› labxyz/);
      await t.burst('7f', '7f', '7f');
      await t.waitFor(/› lab\s*$/m);
      await t.keys('Enter');
      // The done screen's last line: a frame that shows 'Rollback complete' may still be the one before it.
      const done = await t.waitFor(/backups\s+kept\s+at/);
      fits(done, cols, rows);
      assert.match(prose(done, cols), /The cluster is as it was before session lab-20261206-120000-beef; backups kept at \/etc\/kubernetes\/tmp\/ha-wizard-backup-lab-20261206-120000-beef\//);
      assert.match(readFileSync(join(dir, 'calls'), 'utf8'), /^rollback lab-20261206-120000-beef --past-point-of-no-return$/m);
      await t.keys('q');
      assert.equal(await t.waitExit(), 0);
    });

    test('form: a Backspace burst deletes every character; Ctrl-W a word, Ctrl-U the line, Home and End move; no ✗ beside a grey example', async () => {
      const { t } = await start(cols, rows, '--form');
      await t.waitFor(/Load a config file/);
      await t.keys('Down');
      await t.keys('Enter');
      const empty = await t.waitFor(/Cluster config, step by step/);
      fits(empty, cols, rows);
      const nameRow = () => lines(empty).find((l) => /Cluster name/.test(l)) ?? '';
      assert.match(nameRow(), /e\.g\. prod-eu1/);
      assert.doesNotMatch(nameRow(), /✗/, 'no mark beside the example');
      await t.type('Prodxyz');
      await t.waitFor(/Cluster name +Prodxyz +✗/);
      await t.burst(...Array<string>(7).fill('7f'));
      const erased = await t.waitFor(/Cluster name +e\.g\. prod-eu1/);
      assert.doesNotMatch(lines(erased).find((l) => /Cluster name/.test(l)) ?? '', /✗|Prod/);
      await t.type('prod eu one');
      await t.keys('C-w');
      await t.waitFor(/Cluster name +prod eu ( |$)/m);
      await t.keys('C-u');
      await t.waitFor(/Cluster name +e\.g\. prod-eu1/);
      await t.type('eu1');
      await t.keys('Home');
      await t.type('prod-');
      await t.keys('End');
      await t.type('x');
      await t.waitFor(/Cluster name +prod-eu1x/);
      // q types in a text field; Ctrl-C leaves, changing nothing.
      await t.keys('C-c');
      assert.equal(await t.waitExit(), 0);
    });

    test('a resize redraws at once and leaves no stale line', async () => {
      const { t } = await start(cols, rows);
      await t.waitFor(/Enter to make the plan/);
      await t.keys('Enter');
      await t.waitFor(/a: approve/);
      const [w, h] = cols === 100 ? [80, 24] : [100, 30];
      await t.resize(w, h);
      const redrawn = await t.waitFor(/a: approve/);
      fits(redrawn, w, h);
      assert.equal(lines(redrawn).filter((l) => l.startsWith('ha-wizard  ')).length, 1, `one header, no stale frame:\n${redrawn}`);
      assert.equal(lines(redrawn).filter((l) => /^Plan [0-9a-f]+ for cluster lab/.test(l)).length, 1);
      await t.keys('q');
      assert.equal(await t.waitExit(), 0);
      assert.ok(!existsSync(join(tmpdir(), 'never')));
    });
  });
}
