import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { FAILURE_LABEL, failureChoices } from '../wizard/screens/failure.js';
import { Menu } from './Menu.js';
import { useTone } from './use-color.js';

/** Screen 6: what failed, where, the error with the remote stderr, and what can be done now. */
export function FailureScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const f = state.run?.failure;
  if (!f) return null;
  const choices = failureChoices(state);
  const errorLines = f.error.split('\n').slice(0, Math.max(2, rows - 9));
  const step = state.run?.steps.find((s) => s.id === f.step);
  return (
    <Box flexDirection="column">
      <Text color={tone('red')} bold wrap="truncate-end">
        ✗ {f.phase === 'rollback' ? 'Undoing ' : ''}
        {f.action} failed on {f.host}
        {step ? ` (step ${step.index + 1}/${step.total} ${step.id})` : ''}
      </Text>
      {errorLines.map((l, i) => (
        <Text key={i} wrap="wrap">
          {'  '}
          {l}
        </Text>
      ))}
      <Text wrap="wrap">
        {state.outcome?.changedNothing
          ? `It failed before changing anything: nothing was changed on any host by this run (session ${state.session}). Nothing runs until you choose.`
          : `Everything before it is journaled in session ${state.session}; what this action changed is backed up on the host. Nothing else runs until you choose.`}
      </Text>
      <Box marginTop={1}>
        <Menu items={choices.map((c) => FAILURE_LABEL[c])} cursor={state.failure?.choice ?? 0} />
      </Box>
    </Box>
  );
}
