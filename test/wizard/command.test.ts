import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { canRunInteractive, isCi } from '../../src/commands/wizard.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('interactive only with a terminal on both ends and CI unset', () => {
  assert.equal(canRunInteractive({ isTTY: true }, { isTTY: true }, {}), true);
  assert.equal(canRunInteractive({ isTTY: true }, { isTTY: true }, { CI: 'true' }), false);
  assert.equal(canRunInteractive({ isTTY: true }, { isTTY: true }, { CI: 'false' }), true);
  assert.equal(canRunInteractive({}, { isTTY: true }, {}), false, 'isTTY undefined on a pipe');
  assert.equal(canRunInteractive({ isTTY: true }, {}, {}), false);
  assert.equal(isCi({ CONTINUOUS_INTEGRATION: '1' }), true);
  assert.equal(isCi({ CI: '0' }), false);
});

test('without a terminal the wizard fails with exit 2 and the commands to run instead, before loading ink', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '' };
  delete env['HA_WIZARD_INVOKED_AS'];
  delete env['npm_command'];
  const r = spawnSync(process.execPath, [cli, '-c', 'my.yaml'], { input: '', encoding: 'utf8', env, cwd: '/' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /needs a terminal \(stdin or stdout is not a terminal\)/);
  // Not on PATH here: the commands name the script that ran, so they work when pasted.
  assert.ok(r.stderr.includes(`  node ${cli} plan -c my.yaml --out plan.json`), r.stderr);
  assert.ok(r.stderr.includes(`  node ${cli} apply plan.json -c my.yaml --yes`), r.stderr);
  // Under npx they say npx.
  const npx = spawnSync(process.execPath, [cli, '-c', 'my.yaml'], { input: '', encoding: 'utf8', env: { ...env, npm_command: 'exec' } });
  assert.match(npx.stderr, /^ {2}npx ha-wizard plan -c my\.yaml --out plan\.json/m);
});

test('a bad flag is bad input', () => {
  const r = spawnSync(process.execPath, [cli, '--frobnicate'], { input: '', encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Usage: ha-wizard \[-c FILE\]/);
});
