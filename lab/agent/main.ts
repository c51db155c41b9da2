/**
 * The lab's node agent: stands in for the kubelet on one lab node. Started by the node's init script
 * (inside the node's namespaces, after its mounts):
 *   node dist/lab/agent/main.js --node NAME --role master|promote|worker|proxy|bastion --lab-dir DIR
 * It runs the static pods of /etc/kubernetes/manifests and does the kubelet's API work (kubelet.ts).
 * `systemctl {restart|stop|start} kubelet` (the shim in /usr/local/bin) signals it: HUP restarts the
 * kubelet (kubelet.conf re-read, static pods untouched), USR1 stops it, USR2 starts it. Each answer
 * rewrites /run/lab-kubelet.state ("active|inactive <generation>"), which the shim waits for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { Flags } from '../standins/flags.js';
import { AGENT_PID_FILE, AGENT_STATE_FILE } from '../fixture/systemctl.js';
import { Kubelet } from './kubelet.js';
import { StaticPods } from './staticpods.js';

const flags = new Flags(process.argv.slice(2));
const node = flags.require('node');
const role = flags.require('role');

function log(...parts: unknown[]): void {
  process.stdout.write(`${new Date().toISOString()} ${parts.map(String).join(' ')}\n`);
}

/** The node's address: from the lab's state (lab.json), else the first non-loopback IPv4 of its namespace. */
function nodeAddress(): string {
  const labDir = flags.get('lab-dir');
  if (labDir) {
    try {
      const state = JSON.parse(readFileSync(join(labDir, 'lab.json'), 'utf8')) as { nodes?: Array<{ name: string; address: string }> };
      const me = state.nodes?.find((n) => n.name === node);
      if (me?.address) return me.address;
    } catch {
      /* fall back to the interfaces */
    }
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

if (!['master', 'promote', 'worker'].includes(role)) {
  log(`node ${node} has role ${role}: no kubelet here`);
  process.exit(0);
}

const address = nodeAddress();
let generation = 0;
function writeState(active: boolean): void {
  generation++;
  writeFileSync(AGENT_STATE_FILE, `${active ? 'active' : 'inactive'} ${generation}\n`);
}

let kubelet: Kubelet | null = null;
const pods = new StaticPods('/etc/kubernetes/manifests', address, log, () => kubelet?.poke());
kubelet = new Kubelet(node, role, address, log, pods);

writeFileSync(AGENT_PID_FILE, `${process.pid}\n`);
log(`kubelet stand-in for ${node} (${role}, ${address}) pid ${process.pid}`);
pods.start();
kubelet.start();
writeState(true);

process.on('SIGHUP', () => {
  log('systemctl restart kubelet');
  kubelet!.stop();
  pods.start();
  kubelet!.start();
  writeState(true);
});
process.on('SIGUSR1', () => {
  log('systemctl stop kubelet (static pods keep running)');
  kubelet!.stop();
  pods.pause();
  writeState(false);
});
process.on('SIGUSR2', () => {
  log('systemctl start kubelet');
  if (!kubelet!.active) {
    pods.start();
    kubelet!.start();
  }
  writeState(true);
});
process.on('SIGTERM', () => process.exit(0));
