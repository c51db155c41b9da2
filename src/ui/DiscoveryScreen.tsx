import { Box, Text } from 'ink';
import type { CheckStatus } from '../preflight/checks.js';
import type { WizardState } from '../wizard/model.js';
import { useTone } from './use-color.js';

const MARK: Record<CheckStatus, string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL' };
const COLOR: Record<CheckStatus, string> = { pass: 'green', warn: 'yellow', fail: 'red' };

/** Screen 3: what discovery found, and the preflight checks (failures first) with reason and fix. */
export function DiscoveryScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const d = state.discovery;
  if (d.error) {
    return (
      <Box flexDirection="column">
        <Text color={tone('red')} wrap="wrap">
          {d.error}
        </Text>
        <Text>r to try again, Esc to change the config.</Text>
      </Box>
    );
  }
  const f = d.facts;
  if (!f) return null;
  const order: Record<CheckStatus, number> = { fail: 0, warn: 1, pass: 2 };
  const checks = [...d.checks].sort((a, b) => order[a.status] - order[b.status]);
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.status]++;
  const room = Math.max(3, rows - 10);
  const shown = checks.slice(d.scroll, d.scroll + room);
  const expiry = f.certificates.map((c) => c.replace('/etc/kubernetes/pki/', '')).join(', ');
  return (
    <Box flexDirection="column">
      <Text bold>Cluster {f.cluster}</Text>
      <Text wrap="truncate-end">
        Kubernetes {f.kubernetesVersion}, etcd {f.etcdVersion}; control plane {f.master}; API now {f.endpointNow}
      </Text>
      <Text wrap="truncate-end">
        services {f.serviceSubnet}
        {f.podSubnet ? `, pods ${f.podSubnet}` : ''}, DNS {f.dnsDomain}; certificates: {expiry}
      </Text>
      <Text wrap="truncate-end">
        etcd members: {f.etcdMembers.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''} ${m.peerURLs.join(' ')}`).join('; ')}
      </Text>
      <Text wrap="truncate-end">
        nodes: {f.nodes.map((n) => `${n.name}${n.ready ? '' : ' (NotReady)'}${n.roles.length ? ` [${n.roles.join(',')}]` : ''}`).join(', ')}
      </Text>
      <Box marginTop={1}>
        <Text bold>
          Preflight: {counts.fail} failed, {counts.warn} warning(s), {counts.pass} passed
        </Text>
      </Box>
      {shown.map((c, i) => (
        <Box key={`${c.name}-${c.host ?? ''}-${i}`} flexDirection="column">
          <Text wrap="truncate-end">
            <Text color={tone(COLOR[c.status])}>{MARK[c.status]}</Text> {c.name.padEnd(18)} {c.message}
          </Text>
          {c.status !== 'pass' && c.fix ? (
            <Text color={tone('gray')} wrap="truncate-end">
              {'     fix: '}
              {c.fix}
            </Text>
          ) : null}
        </Box>
      ))}
      {checks.length > d.scroll + room ? <Text color={tone('gray')}>… {checks.length - d.scroll - room} more (↓)</Text> : null}
      <Text>{counts.fail ? 'Fix the failures, then r to check again.' : 'Enter to make the plan (nothing is changed yet).'}</Text>
    </Box>
  );
}
