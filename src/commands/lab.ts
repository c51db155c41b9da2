/**
 * `ha-wizard lab`: start, stop, inspect and use the built-in test lab (lab/lab.ts does the work).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError, ExitCode } from '../exit-codes.js';
import { flagProblem, suggestCommand } from './args.js';
import { invokedAs, localizeCommands } from '../reporters/invocation.js';

const DEFAULT_DIR = './.lab';

const USAGE = `Usage:
  ha-wizard lab up [options] [--out DIR]     start a lab (nodes are network namespaces, each with its own sshd)
  ha-wizard lab down [--dir DIR]             stop it: no process, namespace or mount of it remains (files stay)
  ha-wizard lab status [--dir DIR] [--json]  nodes and whether they run
  ha-wizard lab exec [--dir DIR] -- CMD...   run CMD where the lab's client end is (its namespace)
  ha-wizard lab ssh [--dir DIR] NODE [-- CMD...]   OpenSSH to a node with DIR/ssh_config

Options for up:
  --out DIR               lab directory (default ${DEFAULT_DIR}); also --dir
  --name NAME             namespace prefix, [a-z0-9-] (default: the directory's name)
  --promote N             nodes to promote, cp2.. (default 2)
  --workers N             worker nodes w1.. (default 0)
  --proxy-host            a dedicated proxy host lb (default: per-node local proxy in cluster.yaml)
  --service-cidr CIDR     default 10.96.0.0/12
  --dns-domain D          default cluster.local
  --key-algorithm A       rsa, ecdsa or ecdsa-p384 (kubeadm's encryptionAlgorithm; default ecdsa)
  --apiserver-port PORT   the master apiserver's port (default 6443)
  --ssh-user USER         root (default) or a sudo user created on every node
  --sudo-password PW      sudo asks for this password (default: NOPASSWD)
  --bastion               nodes reachable only through a bastion host (ProxyJump)
  --k8s-version V         a release the lab builds (lab/components.txt), 1.37 or 1.37.2 (default: the newest)
  --vip PROVIDER          the endpoint on a virtual IP (.10 of the lab's subnet): keepalived (HAProxy on every
                          control-plane node on port 8443) or kube-vip (the apiservers' own port)
  --dns-endpoint          the endpoint as the DNS name k8s-api.ha-wizard.lab, in every node's /etc/hosts
                          (with --vip or --proxy-host)
  --ip-family F           ipv4 (default), ipv6 (fd00:200:k::N/64 only: cluster, endpoint and SSH on IPv6) or dual
                          (both, IPv4 first: dual-stack service CIDRs and node IPs)
  --no-cluster            nodes and sshd only, no Kubernetes
The cluster is made by the real kubeadm, and runs the real kube-apiserver, kube-controller-manager,
kube-scheduler and etcd of that release; a node agent stands in for the kubelet.
The lab needs root, Debian packages and the components built from Go: sudo bash lab/install-deps.sh`;

/** Output whose commands (`ha-wizard lab down …`) are in the form the operator started ha-wizard, so they work when pasted. */
function outw(text: string): void {
  process.stdout.write(localizeCommands(text, invokedAs()));
}
function errw(text: string): void {
  process.stderr.write(localizeCommands(text, invokedAs()));
}
function usage(): string {
  return USAGE;
}

const OPTIONS = {
  out: { type: 'string' },
  dir: { type: 'string' },
  name: { type: 'string' },
  promote: { type: 'string' },
  workers: { type: 'string' },
  'proxy-host': { type: 'boolean' },
  'service-cidr': { type: 'string' },
  'dns-domain': { type: 'string' },
  'key-algorithm': { type: 'string' },
  'apiserver-port': { type: 'string' },
  'ssh-user': { type: 'string' },
  'sudo-password': { type: 'string' },
  bastion: { type: 'boolean' },
  'k8s-version': { type: 'string' },
  'no-cluster': { type: 'boolean' },
  vip: { type: 'string' },
  'dns-endpoint': { type: 'boolean' },
  'ip-family': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

const ALLOWED: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  up: ['out', 'dir', 'name', 'promote', 'workers', 'proxy-host', 'service-cidr', 'dns-domain', 'key-algorithm', 'apiserver-port', 'ssh-user', 'sudo-password', 'bastion', 'k8s-version', 'no-cluster', 'vip', 'dns-endpoint', 'ip-family', 'json'],
  down: ['out', 'dir'],
  status: ['out', 'dir', 'json'],
  exec: ['out', 'dir'],
  ssh: ['out', 'dir'],
};

function count(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new BadInputError(`--${flag} wants a whole number, got "${v}"`);
  return Number(v);
}

function labDir(values: Values): string {
  if (values.out !== undefined && values.dir !== undefined && resolve(values.out) !== resolve(values.dir)) {
    throw new BadInputError('give the lab directory once (--out or --dir)');
  }
  return resolve(values.out ?? values.dir ?? DEFAULT_DIR);
}

function parse(sub: string, argv: string[]): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new BadInputError(flagProblem(e, OPTIONS));
  }
  const extra = Object.keys(parsed.values).filter((k) => k !== 'help' && !(ALLOWED[sub] ?? []).includes(k as keyof typeof OPTIONS));
  if (extra.length) throw new BadInputError(`lab ${sub} does not take ${extra.map((k) => `--${k}`).join(', ')}`);
  return parsed;
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((res) => {
    child.on('error', (e) => {
      errw(`ha-wizard lab: ${e.message}\n`);
      res(ExitCode.Failure);
    });
    child.on('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    outw(`${USAGE}\n`);
    return sub === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  if (!(sub in ALLOWED)) {
    const near = suggestCommand(sub, Object.keys(ALLOWED));
    errw(`ha-wizard lab: unknown subcommand "${sub}"${near ? `; did you mean "${near}"?` : ''}\n\n${usage()}\n`);
    return ExitCode.BadInput;
  }
  // Loaded only now: the lab is a feature few runs use, and it pulls in zod and yaml.
  const lab = await import('../../lab/lab.js');
  try {
    const { values, positionals } = parse(sub, rest);
    if (values.help) {
      outw(`${USAGE}\n`);
      return ExitCode.Ok;
    }
    const dir = labDir(values);
    switch (sub) {
      case 'up': {
        if (positionals.length) throw new BadInputError(`lab up takes no arguments (got ${positionals.join(' ')})`);
        const keyAlgorithm = values['key-algorithm'];
        if (keyAlgorithm !== undefined && keyAlgorithm !== 'rsa' && keyAlgorithm !== 'ecdsa' && keyAlgorithm !== 'ecdsa-p384') {
          throw new BadInputError(`--key-algorithm is rsa, ecdsa or ecdsa-p384, got "${keyAlgorithm}"`);
        }
        const port = values['apiserver-port'];
        const apiserverPort = port === undefined ? undefined : Number(port);
        if (apiserverPort !== undefined && !(Number.isInteger(apiserverPort) && apiserverPort >= 1024 && apiserverPort <= 65535)) {
          throw new BadInputError(`--apiserver-port is a port number from 1024 to 65535, got "${port}"`);
        }
        const vip = values.vip;
        if (vip !== undefined && vip !== 'keepalived' && vip !== 'kube-vip') throw new BadInputError(`--vip is keepalived or kube-vip, got "${vip}"`);
        const ipFamily = values['ip-family'];
        if (ipFamily !== undefined && ipFamily !== 'ipv4' && ipFamily !== 'ipv6' && ipFamily !== 'dual') throw new BadInputError(`--ip-family is ipv4, ipv6 or dual, got "${ipFamily}"`);
        const started = Date.now();
        const state = await lab.labUp({
          dir,
          name: values.name,
          promote: count('promote', values.promote),
          workers: count('workers', values.workers),
          proxyHost: values['proxy-host'],
          serviceCidr: values['service-cidr'],
          dnsDomain: values['dns-domain'],
          keyAlgorithm,
          apiserverPort,
          sshUser: values['ssh-user'],
          sudoPassword: values['sudo-password'],
          bastion: values.bastion,
          k8sVersion: values['k8s-version'],
          cluster: values['no-cluster'] ? false : undefined,
          vip,
          dnsEndpoint: values['dns-endpoint'],
          ipFamily,
        });
        const seconds = ((Date.now() - started) / 1000).toFixed(2);
        if (values.json) {
          outw(`${JSON.stringify(lab.labStatus(dir))}\n`);
        } else if (state.alreadyRunning) {
          outw(`lab ${state.name} in ${dir} is already running (${state.nodes.length} nodes on ${state.subnet}); nothing changed\n`);
        } else {
          // Every command below as the operator runs ha-wizard; the one run inside the lab's namespace without sudo (lab exec is root already).
          const me = invokedAs();
          const inner = me.replace(/^sudo /, '');
          const where = state.clientNetns
            ? `Lab addresses exist only in its client namespace; commands reach the nodes from there:\n  ${me} lab ssh --dir ${dir} cp1 -- hostname\n  ${me} lab exec --dir ${dir} -- ssh -F ${dir}/ssh_config cp1`
            : `This namespace holds the lab's client end:\n  ${me} lab ssh --dir ${dir} cp1 -- hostname\n  ssh -F ${dir}/ssh_config cp1`;
          const convert = state.clientNetns ? `${me} lab exec --dir ${dir} -- ${inner}` : inner;
          process.stdout.write(
            [
              `lab ${state.name} up in ${seconds} s: ${state.nodes.length} node${state.nodes.length === 1 ? '' : 's'} on ${state.subnet}${state.bastionAddress ? ` behind bastion ${state.bastionAddress}` : ''}`,
              ...state.nodes.map((n) => `  ${n.name.padEnd(8)} ${n.role.padEnd(8)} ${n.address}`),
              where,
              `Wizard config: ${dir}/cluster.yaml. Convert it with the wizard:`,
              `  ${convert} -c ${dir}/cluster.yaml`,
              `or plan it: ${convert} plan -c ${dir}/cluster.yaml`,
              `Stop with: ${me} lab down --dir ${dir}`,
            ].join('\n') + '\n',
          );
        }
        return ExitCode.Ok;
      }
      case 'down': {
        if (positionals.length) throw new BadInputError(`lab down takes no arguments (got ${positionals.join(' ')})`);
        if (!existsSync(join(dir, 'lab.json'))) {
          outw(`no lab in ${dir}; nothing to stop\n`);
          return ExitCode.Ok;
        }
        const started = Date.now();
        await lab.labDown(dir);
        outw(`lab in ${dir} stopped in ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
        return ExitCode.Ok;
      }
      case 'status': {
        const st = lab.labStatus(dir);
        if (values.json) {
          outw(`${JSON.stringify({ nodes: st.nodes })}\n`);
        } else {
          const up = st.nodes.filter((n) => n.running).length;
          outw(
            [`lab ${st.name} in ${st.dir}: ${up}/${st.nodes.length} nodes running on ${st.subnet}`, ...st.nodes.map((n) => `  ${n.name.padEnd(8)} ${n.role.padEnd(8)} ${n.address.padEnd(15)} ${n.running ? 'running' : 'stopped'}`)].join('\n') + '\n',
          );
        }
        return st.nodes.every((n) => n.running) ? ExitCode.Ok : ExitCode.Failure;
      }
      case 'exec':
      case 'ssh': {
        const state = lab.readLab(dir);
        let cmd: string[];
        if (sub === 'exec') {
          if (!positionals.length) throw new BadInputError('lab exec needs a command: ha-wizard lab exec -- CMD...');
          cmd = positionals;
        } else {
          const [node, ...remote] = positionals;
          if (!node) throw new BadInputError('lab ssh needs a node name: ha-wizard lab ssh NODE -- CMD...');
          lab.nodeOf(state, node);
          cmd = lab.sshArgv(dir, node, remote);
        }
        const [bin, ...args] = lab.clientArgv(state, cmd);
        return await exitOf(spawn(bin as string, args, { stdio: 'inherit', env: lab.clientEnv(dir) }));
      }
    }
    return ExitCode.BadInput;
  } catch (e) {
    if (e instanceof BadInputError || e instanceof lab.LabInputError) {
      errw(`ha-wizard lab ${sub}: ${e.message}\nRun \`ha-wizard lab --help\` for usage.\n`);
      return ExitCode.BadInput;
    }
    if (e instanceof lab.LabError) {
      errw(`ha-wizard lab ${sub}: ${e.message}${e.hint ? `\n  ${e.hint}` : ''}\n`);
      return ExitCode.Failure;
    }
    throw e;
  }
}

