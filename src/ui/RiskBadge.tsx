import { Text } from 'ink';
import type { Risk } from '../engine/model/actions.js';
import { useTone } from './use-color.js';

const LABEL: Record<Risk, string> = { 'read-only': 'read-only', reversible: 'reversible', disruptive: 'disruptive', 'point-of-no-easy-return': 'NO EASY RETURN' };
const COLOR: Record<Risk, string> = { 'read-only': 'gray', reversible: 'green', disruptive: 'yellow', 'point-of-no-easy-return': 'red' };

/** `[reversible]`, `[disruptive]`, … coloured by how bad a failure would be. */
export function RiskBadge({ risk }: { risk: Risk }) {
  const tone = useTone();
  return <Text color={tone(COLOR[risk])} bold={risk === 'point-of-no-easy-return'}>[{LABEL[risk]}]</Text>;
}
