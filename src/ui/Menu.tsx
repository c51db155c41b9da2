import { Box, Text } from 'ink';
import { useTone } from './use-color.js';

/** A vertical choice list; the cursor row is marked with `›` (readable without colour). */
export function Menu({ items, cursor }: { items: readonly string[]; cursor: number }) {
  const tone = useTone();
  return (
    <Box flexDirection="column">
      {items.map((item, i) => (
        <Text key={item} color={i === cursor ? tone('cyan') : undefined} bold={i === cursor}>
          {i === cursor ? '› ' : '  '}
          {item}
        </Text>
      ))}
    </Box>
  );
}
