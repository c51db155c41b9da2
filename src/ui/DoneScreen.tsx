import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { DRILL_STEP } from '../wizard/screens/plan.js';
import { resumeCommand } from '../wizard/screens/done.js';
import { repointItems } from './plan-lines.js';
import { useTone } from './use-color.js';

/** Screen 7: the result — verification, the new endpoint, the kubeconfig to use, the session, next steps. */
export function DoneScreen({ state, rows = 24 }: { state: WizardState; rows?: number }) {
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
  const verify = (run?.steps ?? []).filter((s) => s.id.startsWith('verify') || s.id === DRILL_STEP).flatMap((s) => s.actions);
  const drilled = (run?.steps ?? []).some((s) => s.id === DRILL_STEP);
  const target = state.target;
  const refs = state.plan?.references;
  const items = refs ? repointItems(refs) : [];
  // What the screen holds besides the list (the header, footer and wrapped lines included): the list gets the rest.
  const room = Math.max(2, rows - 14 - verify.length - (run?.measurements?.length ?? 0) - (items.length ? 1 : 0));
  const shown = items.length > room ? items.slice(0, room - 1) : items;
  const endpoint = 'the endpoint';
  // The engine's reason for a check the operator skipped after it failed (src/engine/executor.ts).
  const skippedByOperator = (a: { status: string; detail: string }) => a.status === 'skipped' && a.detail.startsWith('skipped by the operator');
  const unchecked = verify.filter(skippedByOperator).length;
  return (
    <Box flexDirection="column">
      <Text color={tone(unchecked ? 'yellow' : 'green')} bold>
        {unchecked
          ? `Done, but ${unchecked} check(s) were skipped: cluster ${target?.cluster ?? state.plan?.summary.cluster ?? ''} is not verified highly available.`
          : `Done: cluster ${target?.cluster ?? state.plan?.summary.cluster ?? ''} is highly available.`}
      </Text>
      <Text>
        {run?.finished?.changed ?? 0} change(s) made, {run?.finished?.unchanged ?? 0} already in place.
      </Text>
      {verify.length ? (
        <Box flexDirection="column">
          <Text bold>Verification</Text>
          {verify.map((a) => (
            <Text key={a.id} wrap="truncate-end">
              <Text color={tone(a.status === 'failed' ? 'red' : skippedByOperator(a) ? 'yellow' : 'green')}>{a.status === 'failed' ? '✗' : skippedByOperator(a) ? '–' : '✓'}</Text> {a.description}
              {skippedByOperator(a) ? ' (skipped, not checked)' : ''}
            </Text>
          ))}
        </Box>
      ) : null}
      {(run?.measurements ?? []).map((m) => (
        <Text key={m.action} wrap="wrap">
          <Text bold>Measured ({m.name}):</Text> {m.summary}
        </Text>
      ))}
      {target ? <Text>API endpoint: https://{target.endpoint}</Text> : null}
      <Text wrap="wrap">Kubeconfig: /etc/kubernetes/admin.conf on {target?.master ?? 'the first control-plane node'} now points at the endpoint; copy it to ~/.kube/config (keep it private).</Text>
      <Text>
        Session: {state.session} ({state.options.command} status {state.session}; undo with {state.options.command} rollback)
      </Text>
      {items.length ? (
        <Box flexDirection="column">
          <Text bold wrap="truncate-end">
            What to do next: repoint these from {refs?.oldAddress} to {endpoint}:
          </Text>
          {shown.map((item, i) => (
            <Text key={i} wrap="truncate-middle">
              {'  - '}
              {item}
            </Text>
          ))}
          {shown.length < items.length ? <Text wrap="truncate-end">{`  … and ${items.length - shown.length} more: ${state.options.command} plan lists them all`}</Text> : null}
        </Box>
      ) : null}
      <Text wrap="wrap">
        Next: kubectl get nodes through the endpoint;{drilled ? '' : ' try a failover drill (stop one apiserver);'} keep the etcd snapshot from the backup step.
      </Text>
      {refs && refs.notes.length ? (
        <Text color={tone('yellow')} wrap="truncate-end">
          The old-address audit is incomplete ({refs.notes.length} note(s)); {state.options.command} plan shows them.
        </Text>
      ) : null}
      <Text>Enter or q to quit.</Text>
    </Box>
  );
}
