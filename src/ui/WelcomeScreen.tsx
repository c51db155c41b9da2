import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { WELCOME_CHOICES } from '../wizard/screens/welcome.js';
import { Menu } from './Menu.js';
import { TextField } from './TextField.js';
import { useTone } from './use-color.js';

/** Screen 1: what this does, then load a config file or enter it step by step. */
export function WelcomeScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const w = state.welcome;
  return (
    <Box flexDirection="column">
      <Text>Turns a single control-plane kubeadm cluster into a highly available one, over SSH.</Text>
      <Text>Nothing changes until you approve a plan; every change is journaled and can be rolled back.</Text>
      <Box marginTop={1} flexDirection="column">
        {w.mode === 'menu' ? (
          // Shown once the search for a session to resume is done: that offer comes first, and a menu that takes no keys is not shown.
          state.sessionsChecked ? (
            <Menu items={WELCOME_CHOICES} cursor={state.menu} />
          ) : null
        ) : (
          <Box flexDirection="column">
            <Text>Config file (Enter to load, Esc to go back):</Text>
            <Text>
              <Text color={tone('cyan')}>› </Text>
              <TextField value={w.path} cursor={state.cursor} />
            </Text>
          </Box>
        )}
      </Box>
      {w.report ? (
        <Box marginTop={1} flexDirection="column">
          {w.report
            .split('\n')
            .slice(0, Math.max(3, rows - 9))
            .map((l, i) => (
              <Text key={i} color={/: error: /.test(l) ? tone('red') : undefined} wrap="truncate-end">
                {l}
              </Text>
            ))}
        </Box>
      ) : null}
    </Box>
  );
}
