import { Box, Text } from 'ink';
import type { Screen } from '../wizard/model.js';
import { footerHints } from './keymap.js';
import { useTone } from './use-color.js';

/** One line of key hints for the screen; `?` has them all. */
export function Footer({ screen, extra }: { screen: Screen; extra?: string }) {
  const tone = useTone();
  const hints = footerHints(screen);
  return (
    <Box>
      <Text color={tone('gray')} wrap="truncate-end">
        {extra ? `${extra}  ` : ''}
        {hints.map((h) => `${h.keys} ${h.what}`).join('  ')}
      </Text>
    </Box>
  );
}
