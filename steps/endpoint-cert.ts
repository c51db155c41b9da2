/**
 * endpoint-cert: the master's apiserver certificate re-issued with the endpoint in its SANs (and 127.0.0.1 and
 * localhost for per-node placement), keeping every SAN it has and kubeadm's own set; the existing key is kept.
 *
 * No restart: kube-apiserver watches its serving certificate and key files and serves a new pair as soon as
 * both match (its dynamic serving-certificate controller). Measured on the real 1.35, 1.36 and 1.37 binaries in
 * the lab: the atomically replaced certificate is served within about a second, no request fails, while a
 * restart kept the single master's API away for 10 to 35 s. The certificate keeps its key, so the pair
 * always matches. Only if the apiserver still serves the old certificate 30 s later (a setup where the
 * reload does not happen) is its static pod restarted, by moving its manifest out of the manifests
 * directory and back (restarting the kubelet does not restart static pods).
 *
 * The classic failure, a client on the endpoint meeting "x509: certificate is valid for …, not <endpoint>",
 * is made impossible by construction: `assertEndpointInApiserverCerts` refuses a plan that issues an apiserver
 * certificate without the endpoint, and the step ends by verifying /readyz for the endpoint name.
 */
import type { Action, CertSpec } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode } from '../src/discovery/nodes.js';
import { canonicalIP } from '../src/pki/ip.js';
import { hostPort } from '../src/pki/hosts.js';
import { apiserverAltNames, withCA } from '../src/pki/kubeadm-certs.js';
import { LOCAL_PROXY_ADDRESS, controlPlaneProbeClient, endpointOf, endpointSANs, missingEndpointSANs } from './kit/endpoint.js';
import { KUBERNETES_DIR, MANIFESTS_DIR, apiserverFlags, certificatesDir } from './kit/paths.js';
import { APISERVER_READY_TIMEOUT_MS, waitAction } from './kit/probes.js';
import { makeStep, type StepDefinition } from './kit/step.js';

function isApiserverCert(spec: CertSpec, path: string): boolean {
  return spec.subject.commonName === 'kube-apiserver' || /(^|\/)apiserver\.crt$/.test(path);
}

/** Throws when any apiserver certificate the actions issue lacks an endpoint SAN. This step runs it over its own actions. */
export function assertEndpointInApiserverCerts(actions: readonly Action[], facts: ClusterFacts): void {
  for (const a of actions) {
    if (a.type !== 'write-file' || a.content.type !== 'certificate' || !isApiserverCert(a.content.spec, a.path)) continue;
    const missing = missingEndpointSANs(a.content.spec, facts);
    if (missing.length > 0) {
      throw new Error(
        `refusing to plan ${a.host}:${a.path} (action ${a.id}): an apiserver certificate without ${missing.join(', ')} would fail clients of the endpoint with "x509: certificate is valid for …, not ${missing[0]}"`,
      );
    }
  }
}

/** Where the master's apiserver reads its serving certificate and key (its manifest's flags, kubeadm's defaults otherwise). */
export function apiserverCertPaths(facts: ClusterFacts): { certPath: string; keyPath: string } {
  const flags = apiserverFlags(facts);
  const dir = certificatesDir(facts);
  return { certPath: flags.get('tls-cert-file') ?? `${dir}/apiserver.crt`, keyPath: flags.get('tls-private-key-file') ?? `${dir}/apiserver.key` };
}

/** The master's new apiserver certificate: kubeadm's SAN set with the endpoint, plus every SAN the current one has. */
export function masterApiserverCertSpec(facts: ClusterFacts): CertSpec {
  const master = masterNode(facts);
  const extra = endpointSANs(facts);
  const existing = facts.masterApiserverSANs;
  const alt = apiserverAltNames({
    nodeName: master.nodeName,
    nodeIP: facts.master.advertiseAddress,
    serviceSubnet: facts.clusterConfiguration.serviceSubnet,
    dnsDomain: facts.clusterConfiguration.dnsDomain,
    endpointHost: facts.config.endpoint.host,
    certSANs: [...facts.clusterConfiguration.certSANs, ...extra.dnsNames, ...extra.ipAddresses],
  });
  // Keep what the current certificate has even where kubeadm would not add it (an operator's earlier re-issue).
  const dnsNames = [...new Set([...alt.dnsNames, ...existing.dnsNames])].sort();
  const ipAddresses = [...new Set([...alt.ipAddresses, ...existing.ipAddresses.map((ip) => canonicalIP(ip) ?? ip)])];
  const dir = certificatesDir(facts);
  return withCA(
    { subject: { commonName: 'kube-apiserver' }, dnsNames, ipAddresses, usages: ['serverAuth'], validityDays: 365 },
    master.host,
    { certPath: `${dir}/ca.crt`, keyPath: `${dir}/ca.key` },
  );
}

/**
 * Waits until the apiserver serves the re-issued certificate (curl on the host verifies it for the endpoint's
 * name), and restarts the static pod only when it does not within 30 s, or when there is no curl to tell.
 * Skipped (its probe) when the new certificate is already served. Undo: nothing, a restart leaves no trace.
 */
function reloadOrRestart(step: string, host: string, port: number, address: string, serverName: string, client: ReturnType<typeof controlPlaneProbeClient>): Action {
  const manifest = `${MANIFESTS_DIR}/kube-apiserver.yaml`;
  const parked = `${KUBERNETES_DIR}/ha-wizard-parked-kube-apiserver.yaml`;
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  return {
    id: `${step}/${host}/apiserver-serves-new-certificate`,
    step,
    type: 'run',
    host,
    argv: [
      'sh',
      '-c',
      [
        'manifest=$1 parked=$2 port=$3 addr=$4 name=$5 ca=$6',
        'if command -v curl >/dev/null 2>&1; then',
        '  i=0',
        // curl exits 0 on any HTTP answer over a certificate valid for the name, 60 while it is not.
        '  while [ $i -lt 30 ]; do',
        '    curl -sS -o /dev/null --max-time 3 --cacert "$ca" --resolve "$name:$port:$addr" "https://$name:$port/readyz" 2>/dev/null && exit 0',
        '    sleep 1; i=$((i+1))',
        '  done',
        '  echo "the apiserver still serves a certificate without $name after 30 s: restarting it" >&2',
        'else',
        '  echo "no curl here to tell whether the apiserver reloaded its certificate: restarting it" >&2',
        'fi',
        'mv "$manifest" "$parked"',
        'i=0; while [ $i -lt 120 ] && ss -Htln "sport = :$port" | grep -q .; do sleep 1; i=$((i+1)); done',
        'mv "$parked" "$manifest"',
      ].join('\n'),
      'ha-wizard-reload',
      manifest,
      parked,
      String(port),
      bracket(address),
      bracket(serverName),
      client.caPath,
    ],
    undo: ['true'],
    probe: { type: 'https', host, address, port, path: '/readyz', serverName, ...client },
    timeoutMs: 200_000,
    description: `wait until the apiserver on ${host} serves the new certificate (it reloads it from disk); restart it only if it still serves the old one after 30 s`,
    risk: 'disruptive',
  };
}

function build(facts: ClusterFacts): Step[] {
  const step = 'endpoint-cert';
  const master = masterNode(facts);
  const { host: endpointHost, port: endpointPort } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  const spec = masterApiserverCertSpec(facts);
  const paths = apiserverCertPaths(facts);
  const client = controlPlaneProbeClient(facts);
  const readyz = (address: string, p: number, serverName: string, what: string) =>
    waitAction(
      step,
      `${master.host}/${what}`,
      { type: 'https', host: master.host, address, port: p, path: '/readyz', serverName, ...client },
      `wait until https://${hostPort(address, p)}/readyz answers with a certificate valid for ${serverName}`,
      APISERVER_READY_TIMEOUT_MS,
    );
  const sans = [...spec.dnsNames, ...spec.ipAddresses].join(', ');
  const actions: Action[] = [
    {
      id: `${step}/${master.host}/apiserver.crt`,
      step,
      type: 'write-file',
      host: master.host,
      path: paths.certPath,
      content: { type: 'certificate', keyPath: paths.keyPath, spec },
      mode: 0o644,
      owner: 'root:root',
      description: `re-issue ${paths.certPath} for the existing key with SANs ${sans}; the running apiserver reloads it from disk`,
      risk: 'reversible',
    },
    reloadOrRestart(step, master.host, port, facts.master.advertiseAddress, endpointHost, client),
    readyz(facts.master.advertiseAddress, port, endpointHost, 'readyz-as-endpoint'),
    ...(facts.config.proxy.placement === 'per-node' ? [readyz(LOCAL_PROXY_ADDRESS, port, LOCAL_PROXY_ADDRESS, 'readyz-local')] : [readyz(endpointHost, endpointPort, endpointHost, 'readyz-via-endpoint')]),
  ];
  assertEndpointInApiserverCerts(actions, facts);
  return [
    makeStep(
      step,
      `Endpoint ${endpointHost} in ${master.host}'s apiserver certificate`,
      `Re-issues ${master.host}'s apiserver certificate (same key) with ${endpointSANs(facts).dnsNames.concat(endpointSANs(facts).ipAddresses).join(', ')} added. The running apiserver reloads it without a restart; only if it still serves the old one after 30 s is its static pod restarted (the API is then briefly unavailable).`,
      actions,
    ),
  ];
}

export const endpointCertStep: StepDefinition = {
  name: 'endpoint-cert',
  summary: "the endpoint added to the master's apiserver certificate (same key), reloaded by the running apiserver",
  needs: [{ step: 'proxy', why: 'it ends by checking the API through the endpoint, which the proxy serves' }],
  build,
};
