/**
 * The config API that the rest of the program calls: defaults, path expansion, the error type and
 * report, and the pieces behind the messages (suggestions, paths, address comparison).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathText } from '../../src/config/issues.js';
import { checkConfigText, ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';
import { expandPath } from '../../src/config/paths.js';
import { normalizeAddress, type PathKind } from '../../src/config/semantic.js';
import { closest, editDistance } from '../../src/config/suggest.js';
import { BadInputError } from '../../src/exit-codes.js';
import { fixtures } from './paths.js';

const BASE = `name: prod-eu1
controlPlane:
  existing: { name: cp1, address: 10.0.0.11 }
  promote:
    - { name: cp2, address: 10.0.0.12 }
    - { name: cp3, address: 10.0.0.13 }
endpoint: { host: k8s-api.example.com }
proxy: { placement: dedicated, host: { name: lb, address: 10.0.0.5 } }
`;

/** Every file exists except those named; the tests never touch the real home directory. */
const env = (missing: string[] = []) => ({ home: '/home/op', baseDir: '/etc/ha', statPath: (p: string): PathKind => (missing.includes(p) ? 'missing' : 'file') });

describe('parseConfigText', () => {
  test('fills in the defaults and expands ~ and relative paths', () => {
    const { config, warnings } = parseConfigText(`${BASE}ssh:\n  identityFiles: [~/.ssh/id_ed25519, keys/ops, /abs/key]\n`, '/etc/ha/cluster.yaml', env());
    assert.deepEqual(warnings, []);
    assert.equal(config.endpoint.port, 6443);
    assert.equal(config.proxy.kind, 'nginx');
    assert.equal(config.workers, undefined, 'absent workers means: discover them');
    assert.deepEqual(config.ssh, {
      user: 'root',
      port: 22,
      identityFiles: ['/home/op/.ssh/id_ed25519', '/etc/ha/keys/ops', '/abs/key'],
      knownHosts: '/home/op/.ssh/known_hosts',
      configFile: '/home/op/.ssh/config',
      sudo: 'auto',
      acceptNewHostKeys: false,
      connectTimeoutSeconds: 10,
    });
  });

  test('throws ConfigError, a BadInputError whose message is the whole report', () => {
    const text = `${BASE.replace('10.0.0.13', '10.0.0.12').replace('placement: dedicated', 'placement: dedicatd')}`;
    assert.throws(
      () => parseConfigText(text, 'cluster.yaml', env()),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError && err instanceof BadInputError);
        // The schema error stops before the semantic checks: one error, not two.
        assert.equal(err.errors.length, 1);
        assert.match(err.message, /^cluster\.yaml: invalid config: 1 error\n\ncluster\.yaml:8:21: error: proxy\.placement: expected one of `dedicated`, `per-node`/);
        assert.match(err.message, /did you mean `dedicated`\?/);
        return true;
      },
    );
  });

  test('the same machine written two ways is a duplicate (IPv6 forms, DNS case and trailing dot)', () => {
    const ipv6 = BASE.replace('10.0.0.12', '"fd00::12"').replace('10.0.0.13', '"fd00:0:0:0:0:0:0:12"');
    const r1 = checkConfigText(ipv6, 'c.yaml', env());
    assert.equal(r1.errors.length, 1);
    assert.match(r1.errors[0]?.message ?? '', /also the address of `cp2`/);
    const dns = BASE.replace('10.0.0.12', 'cp2.example.com').replace('10.0.0.13', 'CP2.example.com.');
    assert.equal(checkConfigText(dns, 'c.yaml', env()).errors.length, 1);
    assert.equal(normalizeAddress('FD00:0::12'), normalizeAddress('fd00::12'));
  });

  test('a missing identity file is named with its expanded path', () => {
    const r = checkConfigText(`${BASE}ssh: { identityFiles: [~/.ssh/gone] }\n`, 'c.yaml', env(['/home/op/.ssh/gone']));
    assert.equal(r.config, undefined);
    assert.match(r.errors[0]?.text ?? '', /c\.yaml:9:24: error: ssh\.identityFiles\[0\]: identity file not found: ~\/\.ssh\/gone \(\/home\/op\/\.ssh\/gone\)/);
  });

  test('warnings are returned beside the config, never as errors', () => {
    const r = checkConfigText(`${BASE}workers: []\n`, 'c.yaml', env());
    assert.ok(r.config);
    assert.deepEqual(r.errors, []);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]?.text ?? '', /^c\.yaml:9:10: warning: workers: /);
  });

  test('YAML anchors and aliases are understood; alias bombs are refused, not expanded', () => {
    const anchored = BASE.replace('  existing: { name: cp1, address: 10.0.0.11 }', '  existing: &cp1 { name: cp1, address: 10.0.0.11 }') + 'workers: [*cp1]\n';
    assert.match(checkConfigText(anchored, 'c.yaml', env()).errors[0]?.message ?? '', /`cp1` appears twice/);
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const bomb = checkConfigText(`${levels.join('\n')}\n`, 'bomb.yaml', env());
    assert.equal(bomb.errors.length, 1);
    assert.match(bomb.errors[0]?.message ?? '', /YAML error: .*alias/i);
  });
});

describe('loadConfig', () => {
  test('an unreadable file is bad input (exit 2), not a crash', () => {
    assert.throws(() => loadConfig(join(fixtures, 'nope.yaml')), (err: unknown) => err instanceof BadInputError && /no such file/.test(err.message));
    assert.throws(() => loadConfig(fixtures), (err: unknown) => err instanceof BadInputError && /it is a directory/.test(err.message));
  });
});

describe('message helpers', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('endpiont', 'endpoint'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('suggestions ignore case, `_` and `-`, and stay quiet when nothing is close', () => {
    const keys = ['user', 'port', 'identityFiles', 'knownHosts', 'configFile', 'proxyJump', 'sudo', 'acceptNewHostKeys', 'connectTimeoutSeconds'];
    assert.equal(closest('identity_files', keys), 'identityFiles');
    assert.equal(closest('IdentityFile', keys), 'identityFiles');
    assert.equal(closest('known_hosts', keys), 'knownHosts');
    assert.equal(closest('proxyjump', keys), 'proxyJump');
    assert.equal(closest('password', keys), undefined);
    assert.equal(closest('x', keys), undefined);
  });

  test('paths read the way they are written in YAML', () => {
    assert.equal(pathText(['controlPlane', 'promote', 1, 'address']), 'controlPlane.promote[1].address');
    assert.equal(pathText(['ssh', 'identity files']), 'ssh["identity files"]');
    assert.equal(pathText([]), '');
  });

  test('~ is the home directory; ~user is not guessed', () => {
    assert.equal(expandPath('~', '/h', '/b'), '/h');
    assert.equal(expandPath('~/.ssh/k', '/h', '/b'), '/h/.ssh/k');
    assert.equal(expandPath('k', '/h', '/b'), '/b/k');
    assert.equal(expandPath('/k', '/h', '/b'), '/k');
    assert.equal(expandPath('~ops/k', '/h', '/b'), null);
  });
});
