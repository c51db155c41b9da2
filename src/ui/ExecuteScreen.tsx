import { Box, Text } from 'ink';
import type { ActionRun, StepRun } from '../wizard/progress.js';
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

const secs = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/**
 * What a long action is waiting for, in words: the time waited of its limit and the last check's answer (never the
 * probe's command); or, for a command being retried, why and when it runs again.
 */
function Waiting({ action, now }: { action: ActionRun; now: number }) {
  const tone = useTone();
  const w = action.wait;
  const r = action.retry;
  if (r) {
    return (
      <Text color={tone('yellow')} wrap="wrap">
        {'      retrying: '}
        {r.reason}; attempt {r.attempt + 1} in {secs(r.retryInMs)} ({secs(r.elapsedMs + Math.max(0, now - r.at))} of {secs(r.limitMs)})
      </Text>
    );
  }
  if (action.actionType !== 'wait') return null;
  const waited = w ? w.elapsedMs + Math.max(0, now - w.at) : now - action.startedAt;
  const limit = w?.limitMs ?? action.limitMs;
  return (
    <Text wrap="wrap">
      {'      '}
      <Text color={tone('cyan')}>
        waited {secs(waited)}
        {limit ? ` of ${secs(limit)}` : ''}
      </Text>
      {' · last check: '}
      {w ? w.answer : 'checking…'}
    </Text>
  );
}

/**
 * Screen 5: the steps done so far (as many of the latest as fit), the live step, its hosts, its progress against the
 * count the plan gives, the action in flight, what a wait waits for, the output tail.
 */
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
  const now = still ? (action?.wait?.at ?? action?.retry?.at ?? action?.startedAt ?? 0) : Date.now();
  // The live part: title, step, its title, hosts, bar, action, wait (up to 2 rows), notes, question or interrupt.
  const live = 1 + (step ? 2 + (hosts.length > 1 ? 1 : 0) + (frac && frac.total > 1 ? 1 : 0) + (action ? 3 : 0) : 1) + Math.min(2, run.notices.length) + (state.question ? 5 : 0) + (state.interrupts ? 1 : 0);
  const tail = Math.max(0, Math.min(6, rows - live - 1 - Math.min(finished.length, 3)));
  const output = action && action.actionType !== 'wait' ? action.output.slice(-tail) : [];
  const room = Math.max(1, rows - live - output.length);
  const shownSteps = finished.length > room ? finished.slice(finished.length - room + 1) : finished;
  return (
    <Box flexDirection="column">
      {finished.length > shownSteps.length ? (
        <Text color={tone('gray')}>
          … {finished.length - shownSteps.length} earlier step(s) done
        </Text>
      ) : null}
      {shownSteps.map((s) => (
        <StepLine key={`${s.phase}-${s.id}-${s.index}`} step={s} />
      ))}
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
          {action ? <Waiting action={action} now={now} /> : null}
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
