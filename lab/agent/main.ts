/**
 * The lab's node agent: stands in for the kubelet on one lab node (there is no container runtime here).
 * Started by the node's init script (inside the node's namespaces, after its mounts):
 *   node dist/lab/agent/main.js --role master|promote|worker --components /var/lib/ha-wizard-lab
 * It runs the static pods of its staticPodPath with the real programs (staticpods.ts), does the kubelet's
 * API work with the kubelet's credentials (kubelet.ts) and answers the kubelet's healthz endpoint
 * (127.0.0.1:10248 unless config.yaml says otherwise), which kubeadm waits for.
 *
 * Until kubeadm wrote /var/lib/kubelet/config.yaml and a kubeconfig, it waits, as a kubelet that systemd
 * keeps restarting does. `systemctl {restart|stop|start} kubelet` (the shim in /usr/local/bin) signals
 * it: HUP restarts the kubelet (its configuration and kubelet.conf re-read, static pods untouched), USR1
 * stops it, USR2 starts it. Each answer rewrites /run/lab-kubelet.state ("active|inactive <generation>"),
 * which the shim waits for.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { AGENT_PID_FILE, AGENT_STATE_FILE } from '../cluster/systemctl.js';
import { Flags } from './flags.js';
import { Kubelet } from './kubelet.js';
import { readKubeletSettings, type KubeletSettings } from './settings.js';
import { StaticPods } from './staticpods.js';

const flags = new Flags(process.argv.slice(2));
const role = flags.require('role');
const components = flags.require('components');

function log(...parts: unknown[]): void {
  process.stdout.write(`${new Date().toISOString()} ${parts.map(String).join(' ')}\n`);
}

if (!['master', 'promote', 'worker'].includes(role)) {
  log(`role ${role}: no kubelet here`);
  process.exit(0);
}

let generation = 0;
function writeState(active: boolean): void {
  generation++;
  writeFileSync(AGENT_STATE_FILE, `${active ? 'active' : 'inactive'} ${generation}\n`);
}

let settings: KubeletSettings = readKubeletSettings();
let kubelet: Kubelet | null = null;
let pods: StaticPods | null = null;
let healthz: Server | null = null;

/** The kubelet's healthz endpoint: up while the kubelet runs. */
function serveHealthz(s: KubeletSettings): void {
  healthz?.close();
  healthz = createServer((req, res) => {
    const ok = kubelet?.active === true;
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'kubelet stopped');
  });
  healthz.on('error', (e) => log('kubelet: healthz:', e.message));
  healthz.listen(s.healthzPort, s.healthzBindAddress);
}

/** A kubelet (re)start: configuration read again, static pods adopted, API work resumed. */
function startKubelet(): void {
  settings = readKubeletSettings();
  pods ??= new StaticPods(settings.staticPodPath, settings.nodeIP, settings.nodeName, components, log, () => kubelet?.poke());
  kubelet ??= new Kubelet(settings, log, pods);
  pods.start();
  kubelet.start(settings);
  serveHealthz(settings);
  writeState(true);
}

function stopKubelet(): void {
  kubelet?.stop();
  pods?.pause();
  healthz?.close();
  healthz = null;
  writeState(false);
}

// The handlers first: a signal that came before them would kill the agent (their default action), and the
// shim signals as soon as the pid file names it.
process.on('SIGHUP', () => {
  log('systemctl restart kubelet');
  kubelet?.stop();
  startKubelet();
});
process.on('SIGUSR1', () => {
  log('systemctl stop kubelet (static pods keep running)');
  stopKubelet();
});
process.on('SIGUSR2', () => {
  log('systemctl start kubelet');
  if (!kubelet?.active) startKubelet();
  else writeState(true);
});
process.on('SIGTERM', () => process.exit(0));

writeFileSync(AGENT_PID_FILE, `${process.pid}\n`);
log(`kubelet stand-in (${role}) pid ${process.pid}, node name ${settings.nodeName}, components ${components}`);
startKubelet();

