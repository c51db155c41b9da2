import { Text } from 'ink';
import { useEffect, useState } from 'react';
import { useTone } from './use-color.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner with a label; still (one frame) when `still` (tests, CI). */
export function Spinner({ label, still = false }: { label: string; still?: boolean }) {
  const tone = useTone();
  const [i, setI] = useState(0);
  useEffect(() => {
    if (still) return;
    const id = setInterval(() => setI((n) => (n + 1) % FRAMES.length), 120);
    return () => clearInterval(id);
  }, [still]);
  return (
    <Text>
      <Text color={tone('cyan')}>{FRAMES[i]}</Text> {label}
    </Text>
  );
}
