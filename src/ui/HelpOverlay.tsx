import { Box, Text } from 'ink';
import { BINDINGS, keyLabel } from './keymap.js';

/** Every key binding, from the keymap table (the single source). */
export function HelpOverlay() {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Keys (? or Esc to close)</Text>
      {BINDINGS.map((b) => (
        <Text key={b.intent} wrap="truncate-end">
          {keyLabel(b.keys).padEnd(14)} {b.description}
          {b.screens ? `  (${b.screens.join(', ')})` : ''}
        </Text>
      ))}
      <Text wrap="truncate-end">{'typing'.padEnd(14)} in a text field, letters are typed; Enter confirms, Esc cancels</Text>
    </Box>
  );
}
