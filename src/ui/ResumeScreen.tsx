import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { RESUME_CHOICES } from '../wizard/screens/resume.js';
import { Menu } from './Menu.js';

/** Offered at start when a session stopped, failed or was interrupted. */
export function ResumeScreen({ state }: { state: WizardState }) {
  const s = state.resumable.at(-1);
  if (!s) return null;
  return (
    <Box flexDirection="column">
      <Text bold>A conversion is in progress</Text>
      <Text wrap="wrap">
        Session {s.id} (cluster {s.cluster}): {s.headline ?? `${s.state}, ${s.done}/${s.total} actions done`}
        {s.where ? `, ${s.where}` : ''}.
      </Text>
      {state.resumable.length > 1 ? <Text>({state.resumable.length - 1} older unfinished session(s): see {state.options.command} sessions)</Text> : null}
      <Box marginTop={1}>
        <Menu items={RESUME_CHOICES} cursor={state.menu} />
      </Box>
    </Box>
  );
}
