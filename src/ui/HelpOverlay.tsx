import { Box, Text } from 'ink';
import type { Screen } from '../wizard/model.js';
import { BINDINGS, keyLabel, TEXT_SCREENS, type Binding } from './keymap.js';

/** Bindings that share a help line (so the table fits 24 rows): the first intent, the second, the words for both. */
const PAIRS: ReadonlyArray<[Binding['intent'], Binding['intent'], string]> = [
  ['up', 'down', 'move / scroll'],
  ['left', 'right', 'other choice (form) / other step (plan details)'],
  ['page-up', 'page-down', 'scroll a page'],
  ['next-match', 'prev-match', 'next / previous match of the search'],
];

/** The help lines of a screen (every screen's when none is given): one per binding, a pair of opposite moves on one line. */
export function helpRows(screen?: Screen): Array<{ key: string; keys: string; description: string }> {
  const here = BINDINGS.filter((b) => !screen || !b.screens || b.screens.includes(screen));
  const rows: Array<{ key: string; keys: string; description: string }> = [];
  for (const b of here) {
    const pair = PAIRS.find((p) => p[0] === b.intent || p[1] === b.intent);
    if (pair && pair[1] === b.intent && here.some((x) => x.intent === pair[0])) continue;
    const other = pair && pair[0] === b.intent ? here.find((x) => x.intent === pair[1]) : undefined;
    if (pair && other) rows.push({ key: b.intent, keys: `${keyLabel(b.keys)} ${keyLabel(other.keys)}`, description: pair[2] });
    else rows.push({ key: b.intent, keys: keyLabel(b.keys), description: b.description });
  }
  return rows;
}

/** The keys of the screen the operator is on, from the keymap table (the single source). */
export function HelpOverlay({ screen }: { screen: Screen }) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Keys on this screen (? or Esc to close)</Text>
      {helpRows(screen).map((r) => (
        <Text key={r.key} wrap="truncate-end">
          {r.keys.padEnd(14)} {r.description}
        </Text>
      ))}
      {TEXT_SCREENS.includes(screen) ? (
        <Text wrap="truncate-end">{'typing'.padEnd(14)} in a text field: Enter confirms, Esc cancels, Ctrl-U clears, Ctrl-W deletes a word, Home/End/←→ move</Text>
      ) : null}
    </Box>
  );
}
