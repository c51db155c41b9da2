import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { DRILL_STEP } from '../wizard/screens/plan.js';
import { resumeCommand } from '../wizard/screens/done.js';
import { referenceLines, repointItems, type Line } from '../reporters/plan-lines.js';
import { ScrolledLines } from './ScrolledLines.js';
import { useTone } from './use-color.js';

/** Whether clients of this endpoint host can only be the nodes themselves (per-node proxies on loopback). */
function loopback(host: string): boolean {
  return /^127\./.test(host) || host === 'localhost' || host === '::1' || host === '[::1]';
}

/**
 * Screen 7: the result. The summary fits 80×24 (the headline and the change count never scroll away); the verification
 * checks (v) and the references to repoint (o) are scrolled lists behind a key, each check's line wrapped in full.
 */
export function DoneScreen({ state, rows = 24, columns = 80 }: { state: WizardState; rows?: number; columns?: number }) {
  const tone = useTone();
  const o = state.outcome;
  const run = state.run;
  if (!o) return null;
  const me = state.options.command;
  const undo = `${me} rollback ${state.session}${o.rollbackCrossesPointOfNoReturn ? ' --past-point-of-no-return' : ''}`;
  const target = state.target;
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
        <Text wrap="wrap">Or undo everything: {undo}</Text>
        <Text>Enter or q to quit.</Text>
      </Box>
    );
  }
  const counts = o.session ?? run?.finished ?? { changed: 0, unchanged: 0 };
  const thisRun = run?.finished && o.session && run.finished.changed !== o.session.changed ? ` (this run: ${run.finished.changed})` : '';
  if (o.phase === 'rollback') {
    const snap = target?.snapshot;
    return (
      <Box flexDirection="column">
        <Text color={tone('green')} bold>
          Rollback complete: {run?.finished?.changed ?? 0} change(s) undone.
        </Text>
        <Text wrap="wrap">
          The cluster is as it was before session {state.session}; backups kept at {target?.backupDir ?? '/etc/kubernetes/tmp/'} on each host it changed
          {snap ? `, and the etcd snapshot ${snap.path} on ${snap.host}` : ''}.
        </Text>
        <Text wrap="wrap">Status: {me} status {state.session}</Text>
        <Text>Enter or q to quit.</Text>
      </Box>
    );
  }
  const verify = (run?.steps ?? []).filter((s) => s.id.startsWith('verify') || s.id === DRILL_STEP).flatMap((s) => s.actions);
  const drilled = (run?.steps ?? []).some((s) => s.id === DRILL_STEP);
  const refs = state.plan?.references;
  const items = refs ? repointItems(refs) : [];
  // The engine's reason for a check the operator skipped after it failed (src/engine/run/executor.ts).
  const skippedByOperator = (a: { status: string; detail: string }) => a.status === 'skipped' && a.detail.startsWith('skipped by the operator');
  const unchecked = verify.filter(skippedByOperator).length;
  const passed = verify.filter((a) => a.status === 'done' || (a.status === 'skipped' && !skippedByOperator(a))).length;
  const cluster = target?.cluster ?? state.plan?.summary.cluster ?? '';
  const v = state.doneView;
  if (v.list === 'checks') {
    const lines: Line[] = verify.map((a) => ({
      text: `${a.status === 'failed' ? '✗' : skippedByOperator(a) ? '–' : '✓'} ${a.host}: ${a.description.replace(/^wait until /, '')}${skippedByOperator(a) ? ' (skipped, not checked)' : ''}`,
      color: a.status === 'failed' ? 'red' : skippedByOperator(a) ? 'yellow' : 'green',
    }));
    return (
      <Box flexDirection="column">
        <Text bold>
          Verification of cluster {cluster}: {passed} of {verify.length} checks passed
        </Text>
        <ScrolledLines lines={lines} scroll={v.scroll} rows={rows - 1} columns={columns} keys="v or Esc back" />
      </Box>
    );
  }
  if (v.list === 'references' && refs) {
    return (
      <Box flexDirection="column">
        <Text bold wrap="truncate-end">
          Repoint these from {refs.oldAddress} to https://{target?.endpoint ?? 'the endpoint'} yourself:
        </Text>
        <ScrolledLines lines={referenceLines(refs)} scroll={v.scroll} rows={rows - 1} columns={columns} keys="o or Esc back" />
      </Box>
    );
  }
  const endpointHost = target?.endpoint.replace(/:\d+$/, '') ?? '';
  const kubeconfig = loopback(endpointHost)
    ? `Kubeconfig: /etc/kubernetes/admin.conf on ${target?.master ?? 'the first control-plane node'} names https://${target?.endpoint}, each node's own proxy: it works on the nodes only. For a workstation, copy it and set its server to a control-plane node's apiserver (${target?.master}${target?.masterAddress ? `, ${target.masterAddress}` : ''}) or to a DNS name that resolves to the nodes.`
    : `Kubeconfig: /etc/kubernetes/admin.conf on ${target?.master ?? 'the first control-plane node'} now points at the endpoint; copy it to ~/.kube/config (keep it private).`;
  const snap = target?.snapshot;
  return (
    <Box flexDirection="column">
      <Text color={tone(unchecked ? 'yellow' : 'green')} bold wrap="wrap">
        {unchecked ? `Done, but ${unchecked} check(s) were skipped: cluster ${cluster} is not verified highly available.` : `Done: cluster ${cluster} is highly available.`}
      </Text>
      <Text wrap="wrap">
        Session {state.session}: {counts.changed} change(s) made, {counts.unchanged} already in place{thisRun}.
      </Text>
      {verify.length ? (
        <Text wrap="truncate-end">
          Verification: {passed} of {verify.length} checks passed{unchecked ? `, ${unchecked} skipped` : ''} · v: list them
        </Text>
      ) : null}
      {(run?.measurements ?? []).map((m) => (
        <Text key={m.action} wrap="wrap">
          Measured ({m.name}): {m.summary}
        </Text>
      ))}
      {target ? <Text wrap="truncate-end">API endpoint: https://{target.endpoint}</Text> : null}
      <Text wrap="wrap">{kubeconfig}</Text>
      {snap ? <Text wrap="wrap">etcd snapshot from before the first change: {snap.path} on {snap.host} (keep it: the last-resort restore point)</Text> : null}
      <Text wrap="wrap">Status: {me} status {state.session}</Text>
      <Text wrap="wrap">Undo everything: {undo}</Text>
      {items.length ? (
        <Text color={tone('yellow')} wrap="wrap">
          What to do next: repoint {items.length} reference(s) from {refs?.oldAddress} to the endpoint · o: list them
        </Text>
      ) : null}
      {refs && refs.notes.length ? (
        <Text color={tone('yellow')} wrap="wrap">
          The old-address audit is incomplete ({refs.notes.length} note(s)) · o: see why
        </Text>
      ) : null}
      <Text wrap="wrap">Next: kubectl get nodes through the endpoint{drilled ? '' : '; try a failover drill (stop one apiserver)'}.</Text>
      <Text>Enter or q to quit.</Text>
    </Box>
  );
}
