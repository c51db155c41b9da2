import { Text } from 'ink';
import { useTone } from './use-color.js';

/** `[#######-------] 7/14` in `width` columns (the bar itself; the count follows). */
export function ProgressBar({ done, total, width = 24 }: { done: number; total: number; width?: number }) {
  const tone = useTone();
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return (
    <Text>
      [<Text color={tone('green')}>{'#'.repeat(filled)}</Text>
      {'-'.repeat(width - filled)}] {done}/{total}
    </Text>
  );
}
