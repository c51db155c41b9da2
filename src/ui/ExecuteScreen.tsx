import { Box, Static, Text } from 'ink';
import type { StepRun } from '../wizard/progress.js';
import { currentAction, currentStep, hostStates, stepFraction } from '../wizard/progress.js';
import type { WizardState } from '../wizard/model.js';
import { ProgressBar } from './ProgressBar.js';
import { RiskBadge } from './RiskBadge.js';
import { useTone } from './use-color.js';
import { formatElapsed, useElapsed } from './use-elapsed.js';

function StepLine({ step }: { step: StepRun }) {
  const tone = useTone();
  const { done, total } = stepFraction(step);
  const mark = step.status === 'done' ? '✓' : step.status === 'failed' ? '✗' : step.status === 'stopped' ? '■' : '▸';
  const color = step.status === 'done' ? 'green' : step.status === 'failed' ? 'red' : step.status === 'stopped' ? 'yellow' : 'cyan';
  const secs = step.endedAt !== null ? ` ${formatElapsed(Math.round((step.endedAt - step.startedAt) / 1000))}` : '';
  return (
    <Text wrap="truncate-end">
      <Text color={tone(color)}>{mark}</Text> {step.phase === 'rollback' ? 'undo ' : ''}
      {step.index + 1}/{step.total} {step.id} <RiskBadge risk={step.risk} /> {done}/{total}
      {secs}
    </Text>
  );
}

/** Screen 5: finished steps printed once (Static); below, the live step, its hosts, progress and output tail. */
export function ExecuteScreen({ state, rows, still }: { state: WizardState; rows: number; still?: boolean }) {
  const tone = useTone();
  const run = state.run;
  const elapsed = useElapsed(run?.startedAt ?? 0, still ? (run?.endedAt ?? run?.startedAt ?? 0) : (run?.endedAt ?? null));
  if (!run) return null;
  const finished = run.steps.filter((s) => s.status !== 'running');
  const step = currentStep(run);
  const action = currentAction(run);
  const hosts = step ? hostStates(step) : [];
  const frac = step ? stepFraction(step) : null;
  // The live area stays shorter than the terminal: header, step, hosts, bar, action, output tail, prompts.
  const tail = Math.max(1, Math.min(8, rows - 12));
  const output = action?.output.slice(-tail) ?? [];
  return (
    <Box flexDirection="column">
      <Static key={`${run.phase}-${run.startedAt}`} items={finished}>
        {(s) => <StepLine key={`${s.phase}-${s.id}-${s.index}`} step={s} />}
      </Static>
      <Text bold>
        {run.phase === 'rollback' ? 'Rolling back' : 'Applying'} session {state.session} · {formatElapsed(elapsed)}
      </Text>
      {step ? (
        <Box flexDirection="column">
          <StepLine step={step} />
          <Text wrap="truncate-end">
            {'  '}
            {step.title}
          </Text>
          {hosts.length > 1 ? (
            <Text wrap="truncate-end">
              {'  hosts: '}
              {hosts
                .slice(0, 12)
                .map((h) => `${h.host} ${h.status === 'running' ? '…' : h.status === 'failed' ? '✗' : '✓'}`)
                .join('  ')}
              {hosts.length > 12 ? ` +${hosts.length - 12}` : ''}
            </Text>
          ) : null}
          {frac && frac.total > 1 ? (
            <Text>
              {'  '}
              <ProgressBar done={frac.done} total={frac.total} />
            </Text>
          ) : null}
          {action ? (
            <Text wrap="truncate-end">
              {'  '}
              <Text color={tone('cyan')}>…</Text> {action.host}: {action.description}
            </Text>
          ) : null}
          {output.map((l, i) => (
            <Text key={i} color={tone('gray')} wrap="truncate-end">
              {'    | '}
              {l}
            </Text>
          ))}
        </Box>
      ) : run.finished ? (
        <Text color={tone('green')}>
          {run.phase === 'rollback' ? 'Rollback' : 'Apply'} complete: {run.finished.changed} changed, {run.finished.unchanged} already in place.
        </Text>
      ) : null}
      {run.notices.slice(-2).map((n, i) => (
        <Text key={i} color={tone('yellow')} wrap="truncate-end">
          note: {n}
        </Text>
      ))}
      {state.question ? (
        <Box flexDirection="column" borderStyle="round" paddingX={1}>
          <Text bold>Cannot tell whether {state.question.action} took effect</Text>
          <Text wrap="wrap">{state.question.question}</Text>
          <Text>Check on the host, then: y it took effect (record it done) · r run it again</Text>
        </Box>
      ) : null}
      {state.interrupts > 0 ? (
        <Text color={tone('yellow')}>
          {state.interrupts === 1 ? 'Stopping after the current action (Ctrl-C again to stop immediately)…' : 'Stopping immediately…'}
        </Text>
      ) : null}
    </Box>
  );
}
