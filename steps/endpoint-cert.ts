/**
 * endpoint-cert: the master's apiserver certificate re-issued with the endpoint in its SANs (and 127.0.0.1 and
 * localhost for per-node placement), keeping every SAN it has and kubeadm's own set; the existing key is kept.
 * The apiserver static pod is restarted by moving its manifest out of the manifests directory and back
 * (restarting the kubelet does not restart static pods). The API is unavailable meanwhile.
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
import { APISERVER_READY_TIMEOUT_MS, portClosedProbe, waitAction } from './kit/probes.js';
import { makeStep, type StepDefinition } from './kit/step.js';

const APISERVER_STOP_TIMEOUT_MS = 120_000;

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
 * Stop a static pod by parking its manifest outside the manifests directory, and wait until its port is
 * released (moving it back before the kubelet noticed would not restart it). The undo waits the same way,
 * then moves the manifest back.
 */
export function stopStaticPod(step: string, host: string, component: string, port: number, what = component): Action[] {
  const manifest = `${MANIFESTS_DIR}/${component}.yaml`;
  const parked = `${KUBERNETES_DIR}/ha-wizard-parked-${component}.yaml`;
  return [
    {
      id: `${step}/${host}/stop-${what}`,
      step,
      type: 'run',
      host,
      argv: ['mv', manifest, parked],
      undo: [
        'sh',
        '-c',
        // Rollback must leave the API serving before the next undo runs (and when rollback ends): after the
        // manifest is back, wait for /readyz through the name every kubeadm apiserver certificate carries.
        [
          '[ -f "$2" ] || exit 0',
          'i=0',
          'while [ $i -lt 120 ] && ss -Htln "sport = :$3" | grep -q .; do sleep 1; i=$((i+1)); done',
          'mv "$2" "$1"',
          // (inside a function $3 would be the function's own argument: keep the port in a variable)
          'port=$3',
          'ready() { if command -v curl >/dev/null; then curl -fsS --max-time 2 --cacert /etc/kubernetes/pki/ca.crt --resolve "kubernetes:$port:127.0.0.1" "https://kubernetes:$port/readyz" >/dev/null 2>&1; else ss -Htln "sport = :$port" | grep -q .; fi; }',
          'i=0',
          'until ready; do [ $i -lt 180 ] || { echo "the static pod did not become ready within 180 s after $1 was restored" >&2; exit 1; }; sleep 1; i=$((i+1)); done',
        ].join('\n'),
        'ha-wizard-undo',
        manifest,
        parked,
        String(port),
      ],
      probe: { type: 'file', host, path: manifest, absent: true },
      // A graceful Ctrl-C after this goes on until startStaticPod's action (same id scheme) has run, in apply and rollback.
      pairedWith: `${step}/${host}/start-${what}`,
      description: `stop ${component} on ${host}: move its manifest out of ${MANIFESTS_DIR} (the API on ${host} is unavailable until it is back)`,
      risk: 'disruptive',
    },
    waitAction(step, `${host}/${what}-stopped`, portClosedProbe(host, port), `wait until ${component} on ${host} has stopped (port ${port} released)`, APISERVER_STOP_TIMEOUT_MS, 1_000),
  ];
}

export function startStaticPod(step: string, host: string, component: string, what = component): Action {
  const manifest = `${MANIFESTS_DIR}/${component}.yaml`;
  const parked = `${KUBERNETES_DIR}/ha-wizard-parked-${component}.yaml`;
  return {
    id: `${step}/${host}/start-${what}`,
    step,
    type: 'run',
    host,
    argv: ['mv', parked, manifest],
    undo: ['mv', manifest, parked],
    probe: { type: 'file', host, path: manifest },
    description: `start ${component} on ${host} again: move its manifest back into ${MANIFESTS_DIR}`,
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
  // Stop, write, start: rollback (newest first) then stops the apiserver, restores the old certificate, starts it.
  const actions: Action[] = [
    ...stopStaticPod(step, master.host, 'kube-apiserver', port, 'apiserver'),
    {
      id: `${step}/${master.host}/apiserver.crt`,
      step,
      type: 'write-file',
      host: master.host,
      path: paths.certPath,
      content: { type: 'certificate', keyPath: paths.keyPath, spec },
      mode: 0o644,
      owner: 'root:root',
      description: `re-issue ${paths.certPath} for the existing key with SANs ${sans}`,
      risk: 'reversible',
    },
    startStaticPod(step, master.host, 'kube-apiserver', 'apiserver'),
    readyz(facts.master.advertiseAddress, port, endpointHost, 'readyz-as-endpoint'),
    ...(facts.config.proxy.placement === 'per-node' ? [readyz(LOCAL_PROXY_ADDRESS, port, LOCAL_PROXY_ADDRESS, 'readyz-local')] : [readyz(endpointHost, endpointPort, endpointHost, 'readyz-via-endpoint')]),
  ];
  assertEndpointInApiserverCerts(actions, facts);
  return [
    makeStep(
      step,
      `Endpoint ${endpointHost} in ${master.host}'s apiserver certificate`,
      `Re-issues ${master.host}'s apiserver certificate (same key) with ${endpointSANs(facts).dnsNames.concat(endpointSANs(facts).ipAddresses).join(', ')} added, then restarts the apiserver static pod: the API is briefly unavailable.`,
      actions,
    ),
  ];
}

export const endpointCertStep: StepDefinition = {
  name: 'endpoint-cert',
  summary: "the endpoint added to the master's apiserver certificate (same key), then the apiserver restarted",
  needs: [{ step: 'proxy', why: 'it ends by checking the API through the endpoint, which the proxy serves' }],
  build,
};
