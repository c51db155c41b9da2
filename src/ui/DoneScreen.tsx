import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { resumeCommand } from '../wizard/reducer.js';
import { useTone } from './use-color.js';

/** Screen 7: the result — verification, the new endpoint, the kubeconfig to use, the session, next steps. */
export function DoneScreen({ state }: { state: WizardState }) {
  const tone = useTone();
  const o = state.outcome;
  const run = state.run;
  if (!o) return null;
  if (o.status === 'stopped') {
    return (
      <Box flexDirection="column">
        <Text color={tone('yellow')} bold>
          Stopped{state.interrupts > 1 ? ' immediately' : ' safely'}.
        </Text>
        <Text wrap="wrap">
          {state.interrupts > 1 ? 'The action in flight was abandoned; resume checks whether it took effect before going on. ' : 'The current action finished and was journaled. '}
          Continue with: {resumeCommand(state)}
        </Text>
        <Text>
          Or undo everything: {state.options.command} rollback {state.session}
        </Text>
        <Text>Enter or q to quit.</Text>
      </Box>
    );
  }
  if (o.phase === 'rollback') {
    return (
      <Box flexDirection="column">
        <Text color={tone('green')} bold>
          Rollback complete: {run?.finished?.changed ?? 0} change(s) undone.
        </Text>
        <Text>The cluster is as it was before session {state.session} (backups stay on the hosts under /etc/kubernetes/tmp/).</Text>
        <Text>Enter or q to quit.</Text>
      </Box>
    );
  }
  const verify = (run?.steps ?? []).filter((s) => s.id.startsWith('verify')).flatMap((s) => s.actions);
  const target = state.target;
  return (
    <Box flexDirection="column">
      <Text color={tone('green')} bold>
        Done: cluster {target?.cluster ?? state.plan?.summary.cluster ?? ''} is highly available.
      </Text>
      <Text>
        {run?.finished?.changed ?? 0} change(s) made, {run?.finished?.unchanged ?? 0} already in place.
      </Text>
      {verify.length ? (
        <Box flexDirection="column">
          <Text bold>Verification</Text>
          {verify.map((a) => (
            <Text key={a.id} wrap="truncate-end">
              <Text color={tone(a.status === 'failed' ? 'red' : 'green')}>{a.status === 'failed' ? '✗' : '✓'}</Text> {a.description}
            </Text>
          ))}
        </Box>
      ) : null}
      {target ? <Text>API endpoint: https://{target.endpoint}</Text> : null}
      <Text wrap="wrap">Kubeconfig: /etc/kubernetes/admin.conf on {target?.master ?? 'the first control-plane node'} now points at the endpoint; copy it to ~/.kube/config (keep it private).</Text>
      <Text>
        Session: {state.session} ({state.options.command} status {state.session}; undo with {state.options.command} rollback)
      </Text>
      <Text wrap="wrap">Next: kubectl get nodes through the endpoint; try a failover drill (stop one apiserver); keep the etcd snapshot from the backup step.</Text>
      <Text>Enter or q to quit.</Text>
    </Box>
  );
}
