/**
 * `npm test`: runs every test file under dist/test.
 *
 *   *.test.js      unit tests, no privileges, run in parallel
 *   *.lab.test.js  tests against the lab (root, network namespaces, Debian packages), run one file at a time
 *                  inside a throwaway network namespace, so no lab address ever exists in the host's namespace
 *
 * Options: --unit (unit tests only), --lab (lab tests only), and substrings to filter file names.
 * Ends with the plain line `N passed, N failed` summing both runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labReleases, missingBinaries } from '../lab/components.js';

const distTest = fileURLToPath(new URL('.', import.meta.url));

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (entry.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

interface Counts {
  pass: number;
  fail: number;
  code: number;
}

function runNodeTest(prefix: string[], files: string[], concurrency: number): Promise<Counts> {
  return new Promise((resolve) => {
    const args = [
      ...prefix,
      process.execPath,
      '--enable-source-maps',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=900000',
      '--test-reporter=spec',
      ...files,
    ];
    const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      // Long enough that the summary survives the list of failing tests node prints after it.
      tail = (tail + chunk.toString()).slice(-400_000);
    });
    child.on('close', (code) => {
      // The last summary line of each kind (node prints one summary per run).
      const num = (name: string) => Number([...tail.matchAll(new RegExp(`ℹ ${name} (\\d+)`, 'g'))].at(-1)?.[1] ?? 0);
      // A test cancelled because its suite's before() failed did not pass either: it counts as failed.
      resolve({ pass: num('pass'), fail: num('fail') + num('cancelled'), code: code ?? 1 });
    });
  });
}

const LAB_TOOLS = ['ip', 'unshare', '/usr/sbin/sshd', 'nginx', 'haproxy', 'keepalived', 'openssl', 'iptables', 'parallel-ssh'];

function labPrerequisites(): string | null {
  if (process.getuid?.() !== 0) return 'lab tests need root (network namespaces, sshd per node): run `sudo npm test`, or `npm run test:unit` for the unit tests only';
  const missing = LAB_TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) return `lab tests need Debian packages (missing: ${missing.join(', ')}): run \`sudo bash lab/install-deps.sh\``;
  const unbuilt = labReleases().filter((v) => missingBinaries(v).length > 0);
  if (unbuilt.length) return `lab tests need the Kubernetes components built (not built: ${unbuilt.map((v) => `v${v}`).join(', ')}): run \`sudo bash lab/install-deps.sh\``;
  return null;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const onlyUnit = args.includes('--unit');
  const onlyLab = args.includes('--lab');
  const filters = args.filter((a) => !a.startsWith('--'));
  const all = findTests(distTest).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const lab = all.filter((f) => f.endsWith('.lab.test.js'));
  const unit = all.filter((f) => !f.endsWith('.lab.test.js'));
  const total: Counts = { pass: 0, fail: 0, code: 0 };
  const add = (c: Counts) => {
    total.pass += c.pass;
    total.fail += c.fail;
    if (c.code !== 0) total.code = c.code;
  };

  if (!onlyLab && unit.length) add(await runNodeTest([], unit, 2));
  if (!onlyUnit && lab.length) {
    const problem = labPrerequisites();
    if (problem) {
      process.stderr.write(`\n${problem}\n(${lab.length} lab test files not run: ${lab.map((f) => relative(distTest, f)).join(', ')})\n`);
      total.fail += lab.length;
      total.code = 1;
    } else {
      // A private network namespace for the whole lab run: labs attach their switch to it.
      const ns = `hawtest-${process.pid}`;
      spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
      spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'inherit' });
      try {
        add(await runNodeTest(['ip', 'netns', 'exec', ns], lab, 1));
      } finally {
        spawnSync('ip', ['netns', 'del', ns], { stdio: 'inherit' });
      }
    }
  }
  process.stdout.write(`\n${total.pass} passed, ${total.fail} failed\n`);
  return total.code !== 0 || total.fail > 0 ? 1 : 0;
}

process.exitCode = await main();
