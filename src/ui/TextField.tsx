import { Text } from 'ink';
import { cursorAt } from '../wizard/text-edit.js';

/** A one-line text value with the cursor shown as an inverse cell where typing goes (at the end when `cursor` is null). */
export function TextField({ value, cursor, mask }: { value: string; cursor: number | null; mask?: string }) {
  const shown = mask ? mask.repeat(value.length) : value;
  const c = cursorAt(value, cursor);
  return (
    <Text>
      {shown.slice(0, c)}
      <Text inverse>{shown[c] ?? ' '}</Text>
      {shown.slice(c + 1)}
    </Text>
  );
}
