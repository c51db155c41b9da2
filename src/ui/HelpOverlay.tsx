import { Box, Text } from 'ink';
import { BINDINGS, keyLabel, type Binding } from './keymap.js';

/** Bindings that share a help line (so the table fits 24 rows): the first intent, the second, the words for both. */
const PAIRS: ReadonlyArray<[Binding['intent'], Binding['intent'], string]> = [
  ['up', 'down', 'move / scroll'],
  ['left', 'right', 'other choice (form) / other step (plan details)'],
  ['page-up', 'page-down', 'scroll a page'],
];

/** The help lines: one per binding, a pair of opposite moves on one line. */
export function helpRows(): Array<{ key: string; keys: string; description: string; screens?: readonly string[] }> {
  const rows: Array<{ key: string; keys: string; description: string; screens?: readonly string[] }> = [];
  for (const b of BINDINGS) {
    const pair = PAIRS.find((p) => p[0] === b.intent || p[1] === b.intent);
    if (pair && pair[1] === b.intent && BINDINGS.some((x) => x.intent === pair[0])) continue;
    const other = pair && pair[0] === b.intent ? BINDINGS.find((x) => x.intent === pair[1]) : undefined;
    if (pair && other) rows.push({ key: b.intent, keys: `${keyLabel(b.keys)} ${keyLabel(other.keys)}`, description: pair[2], ...(b.screens ? { screens: b.screens } : {}) });
    else rows.push({ key: b.intent, keys: keyLabel(b.keys), description: b.description, ...(b.screens ? { screens: b.screens } : {}) });
  }
  return rows;
}

/** Every key binding, from the keymap table (the single source). */
export function HelpOverlay() {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Keys (? or Esc to close)</Text>
      {helpRows().map((r) => (
        <Text key={r.key} wrap="truncate-end">
          {r.keys.padEnd(14)} {r.description}
          {r.screens ? `  (${r.screens.join(', ')})` : ''}
        </Text>
      ))}
      <Text wrap="truncate-end">{'typing'.padEnd(14)} in a text field, letters are typed; Enter confirms, Esc cancels</Text>
    </Box>
  );
}
