import { Box, Text } from 'ink';
import { FIELDS, fieldHelp } from '../wizard/form.js';
import { TextField } from './TextField.js';
import type { WizardState } from '../wizard/model.js';
import { useTone } from './use-color.js';

/** Screen 1b: the config step by step, each field checked as you type with the config file's rules. */
export function FormScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const f = state.form;
  const current = FIELDS[f.field]!;
  // Keep the focused field visible when the terminal is short.
  const room = Math.max(4, rows - 5);
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
            ) : focused ? (
              <TextField value={value} cursor={state.cursor} />
            ) : value ? (
              <Text>{value}</Text>
            ) : (
              <Text color={tone('gray')}>{spec.placeholder ?? ''}</Text>
            )}
            {focused && !spec.choices && !value && spec.placeholder ? <Text color={tone('gray')}> e.g. {spec.placeholder}</Text> : null}
            {/* A mark judges what was typed: never a grey example (an empty field is named when Enter finds it). */}
            <Text color={bad ? tone('red') : tone('green')}>{value || spec.choices ? (bad ? '  ✗' : '  ✓') : ''}</Text>
          </Text>
        );
      })}
      <Text color={tone('gray')} wrap="wrap">
        {fieldHelp(current, f.values)}
      </Text>
      {error && f.values[current.id] ? (
        <Text color={tone('red')} wrap="wrap">
          ✗ {error}
        </Text>
      ) : null}
      {f.field === FIELDS.length - 1 ? <Text>Enter saves the file, then connects to every host.</Text> : null}
    </Box>
  );
}
