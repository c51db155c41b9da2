/** The lab's pure parts: options, addressing, host paths, rendered files. No privileges needed. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNodes, hostPath, mountPointsInUppers, nameFromDir, settingsFrom, shadowedBy, type LabState } from '../../lab/layout.js';
import { clusterYaml, fstab, initScript, knownHosts, sshConfig, sshdConfig } from '../../lab/render.js';
import { remoteCommand } from '../../lab/lab.js';
import { parse } from 'yaml';

function stateFor(opts: Parameters<typeof settingsFrom>[0], slot = 7): LabState {
  const { name, dir, settings } = settingsFrom(opts);
  return {
    name,
    dir,
    slot,
    subnet: `10.200.${slot}.0/24`,
    clientAddress: settings.bastion ? `10.201.${slot}.2` : `10.200.${slot}.2`,
    bastionAddress: settings.bastion ? `10.201.${slot}.4` : null,
    clientNetns: null,
    clientLink: `hawlab${slot}`,
    clientNetnsId: 'net:[1]',
    switchNetns: `${name}-sw`,
    netnsIds: {},
    options: settings,
    nodes: buildNodes(name, dir, slot, settings),
    createdAt: '2026-01-01T00:00:00Z',
  };
}

describe('lab options and addressing', () => {
  test('defaults: cp1 and two nodes to promote, root, cluster on', () => {
    const s = stateFor({ dir: '/work/x/.lab' });
    assert.equal(s.name, 'lab');
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.role, n.address, n.netns]),
      [
        ['cp1', 'master', '10.200.7.11', 'lab-cp1'],
        ['cp2', 'promote', '10.200.7.12', 'lab-cp2'],
        ['cp3', 'promote', '10.200.7.13', 'lab-cp3'],
      ],
    );
    assert.equal(s.options.sudo, 'none');
    assert.equal(s.options.cluster, true);
  });

  test('every role at its address; 140 workers fit', () => {
    const s = stateFor({ dir: '/tmp/a', promote: 1, workers: 140, proxyHost: true, bastion: true });
    const at = (name: string) => s.nodes.find((n) => n.name === name)?.address;
    assert.equal(at('bastion'), '10.200.7.4');
    assert.equal(at('lb'), '10.200.7.5');
    assert.equal(at('cp2'), '10.200.7.12');
    assert.equal(at('w1'), '10.200.7.101');
    assert.equal(at('w140'), '10.200.7.240');
  });

  test('bad options are refused with the field named', () => {
    assert.throws(() => settingsFrom({ dir: '/tmp/a', workers: 141 }), /workers/);
    assert.throws(() => settingsFrom({ dir: '/tmp/a', name: 'Bad_Name' }), /name/);
    assert.throws(() => settingsFrom({ dir: '/tmp/a', sshUser: 'root', sudoPassword: 'x' }), /non-root/);
    assert.throws(() => settingsFrom({ dir: '/tmp/a', serviceCidr: '10.96.0.0' }), /serviceCidr/);
    assert.equal(settingsFrom({ dir: '/tmp/a', sshUser: 'kadm', sudoPassword: 'pw' }).settings.sudo, 'password');
  });

  test('names from directories', () => {
    assert.equal(nameFromDir('/x/.lab'), 'lab');
    assert.equal(nameFromDir('/x/My Lab_2'), 'my-lab-2');
    assert.equal(nameFromDir('/x/a-very-long-directory-name'), 'a-very-long-dire');
    assert.equal(nameFromDir('/x/___'), 'lab');
  });

  test('host paths of node paths, and paths a node hides', () => {
    const n = { hostDir: '/l/nodes/cp1' };
    assert.equal(hostPath(n, '/etc/kubernetes/pki/ca.crt'), '/l/nodes/cp1/etc-kubernetes/pki/ca.crt');
    assert.equal(hostPath(n, '/etc/nginx/nginx.conf'), '/l/nodes/cp1/etc-nginx/nginx.conf');
    assert.equal(hostPath(n, '/etc/hosts'), '/l/nodes/cp1/etc.upper/hosts');
    assert.equal(hostPath(n, '/var/lib/kubelet/config.yaml'), '/l/nodes/cp1/var-lib-kubelet/config.yaml');
    assert.equal(hostPath(n, '/usr/local/bin/systemctl'), '/l/nodes/cp1/usr-local-bin/systemctl');
    assert.throws(() => hostPath(n, '/usr/bin/etcd'), /host's own path/);
    assert.ok(mountPointsInUppers(n).includes('/l/nodes/cp1/etc.upper/kubernetes'));
    assert.ok(mountPointsInUppers(n).includes('/l/nodes/cp1/var-lib.upper/kubelet'));
    assert.equal(shadowedBy('/root/lab'), '/root');
    assert.equal(shadowedBy('/work/main/.lab'), null);
  });
});

describe('rendered files', () => {
  test('sshd_config: key auth only, MaxSessions 10, no root login with a sudo user', () => {
    const node = stateFor({ dir: '/tmp/a' }).nodes[0]!;
    const root = sshdConfig(node, 'root');
    for (const line of ['UsePAM no', 'PasswordAuthentication no', 'MaxSessions 10', 'MaxStartups 100:30:200', 'StrictModes yes', 'PermitRootLogin prohibit-password']) {
      assert.match(root, new RegExp(`^${line}$`, 'm'));
    }
    assert.match(sshdConfig(node, 'kadm'), /^PermitRootLogin no$/m);
  });

  test('ssh_config and cluster.yaml with a bastion', () => {
    const s = stateFor({ dir: '/tmp/b', bastion: true, sshUser: 'kadm', proxyHost: true });
    const cfg = sshConfig(s);
    assert.match(cfg, /Host cp1\n  HostName 10\.200\.7\.11\n  User kadm\n  Port 22\n  IdentityFile \/tmp\/b\/client\/id_ed25519\n  UserKnownHostsFile \/tmp\/b\/known_hosts\n  IdentitiesOnly yes\n  ProxyJump kadm@10\.201\.7\.4/);
    assert.match(cfg, /Host bastion\n  HostName 10\.201\.7\.4\n/);
    const doc = parse(clusterYaml(s)) as Record<string, any>;
    assert.deepEqual(doc.ssh, {
      user: 'kadm',
      identityFiles: ['/tmp/b/client/id_ed25519'],
      knownHosts: '/tmp/b/known_hosts',
      proxyJump: 'kadm@10.201.7.4',
      sudo: 'nopasswd',
      acceptNewHostKeys: false,
    });
    assert.deepEqual(doc.endpoint, { host: '10.200.7.5', port: 6443 });
  });

  test('known_hosts lines are plain ADDRESS TYPE KEY', () => {
    assert.equal(knownHosts([{ address: '10.200.7.11', hostKeyPub: 'ssh-ed25519 AAAAC3xyz cp1\n' }]), '10.200.7.11 ssh-ed25519 AAAAC3xyz\n');
  });

  test('init script: no secret in it, agent only with the cluster, never on the bastion', () => {
    const s = stateFor({ dir: '/tmp/c', bastion: true, sshUser: 'kadm', sudoPassword: 'hunter2' });
    const agent = { nodeBin: '/usr/bin/node', script: '/r/dist/lab/agent/main.js', components: '/var/lib/ha-wizard-lab' };
    const cp1 = s.nodes.find((n) => n.name === 'cp1')!;
    const bastion = s.nodes.find((n) => n.name === 'bastion')!;
    const script = initScript({ node: cp1, slot: s.slot, labDir: s.dir, sshUser: 'kadm', sudo: s.options.sudo, agent });
    assert.doesNotMatch(script, /hunter2/);
    assert.match(script, /IFS= read -r pw/);
    assert.match(script, /agent\/main\.js --role master --components \/var\/lib\/ha-wizard-lab >\/var\/log\/agent\.log 2>&1 &/);
    assert.match(script, /exec \/usr\/sbin\/sshd -D/);
    const b = initScript({ node: bastion, slot: s.slot, labDir: s.dir, sshUser: 'kadm', sudo: s.options.sudo, agent });
    assert.doesNotMatch(b, /agent/);
    assert.match(b, /addr add 10\.201\.7\.4\/24 dev eth1/);
    assert.match(fstab({ hostDir: '/a b' }), /^\/a\\040b\/etc-kubernetes \/etc\/kubernetes none bind 0 0$/m);
    assert.doesNotMatch(fstab({ hostDir: '/a' }), /ha-wizard-lab/);
    assert.match(fstab({ hostDir: '/a' }, '/c d/lab'), /^\/c\\040d\/lab \/var\/lib\/ha-wizard-lab none bind,ro 0 0$/m);
  });

  test('remote commands keep argv exact; one argument is a shell command, as with ssh', () => {
    assert.equal(remoteCommand(['ls', '/a b', "it's"]), `ls '/a b' 'it'\\''s'`);
    assert.equal(remoteCommand(['ls /etc | wc -l']), 'ls /etc | wc -l');
  });
});
