import { Box, Text } from 'ink';
import { FIELDS } from '../wizard/form.js';
import type { WizardState } from '../wizard/model.js';
import { useTone } from './use-color.js';

/** Screen 1b: the config step by step, each field checked as you type with the config file's rules. */
export function FormScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const f = state.form;
  const current = FIELDS[f.field]!;
  // Keep the focused field visible when the terminal is short.
  const room = Math.max(4, rows - 8);
  const first = Math.max(0, Math.min(f.field - Math.floor(room / 2), FIELDS.length - room));
  const shown = FIELDS.slice(first, first + room);
  const error = f.check.errors[current.id];
  return (
    <Box flexDirection="column">
      <Text bold>Cluster config, step by step ({f.check.valid ? 'valid' : `${Object.keys(f.check.errors).length} field(s) to fix`})</Text>
      {shown.map((spec) => {
        const i = FIELDS.indexOf(spec);
        const focused = i === f.field;
        const value = f.values[spec.id];
        const bad = f.check.errors[spec.id] !== undefined;
        return (
          <Text key={spec.id} wrap="truncate-end">
            <Text color={focused ? tone('cyan') : undefined}>{focused ? '›' : ' '} </Text>
            <Text bold={focused}>{spec.label.padEnd(20)}</Text>
            {spec.choices ? (
              <Text>
                {'‹ '}
                {value}
                {' ›'}
              </Text>
            ) : value ? (
              <Text>{value}</Text>
            ) : (
              <Text color={tone('gray')}>{spec.placeholder ?? ''}</Text>
            )}
            {focused && !spec.choices ? <Text inverse> </Text> : null}
            <Text color={bad ? tone('red') : tone('green')}>{bad ? '  ✗' : value || spec.choices ? '  ✓' : ''}</Text>
          </Text>
        );
      })}
      <Text color={tone('gray')} wrap="truncate-end">
        {current.help}
      </Text>
      {error ? (
        <Text color={tone('red')} wrap="wrap">
          ✗ {error}
        </Text>
      ) : null}
      {f.field === FIELDS.length - 1 ? <Text>Enter saves the file, then connects to every host.</Text> : null}
    </Box>
  );
}
