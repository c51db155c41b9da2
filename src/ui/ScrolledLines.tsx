import { Text } from 'ink';
import { useContext, useEffect } from 'react';
import { ViewportContext } from './viewport.js';
import { wrapLines, type Line } from '../reporters/plan-lines.js';
import { useTone } from './use-color.js';

/**
 * A window of styled lines, like a pager: each line wrapped at the terminal's width (nothing is cut), scrolled by
 * whole lines from `scroll`, as many as fit in `rows` (the last row says where the window stands and the keys).
 * `highlight` marks a line (the current search match).
 */
export function ScrolledLines(props: { lines: readonly Line[]; scroll: number; rows: number; columns: number; keys: string; highlight?: number | null }) {
  const tone = useTone();
  const { lines, columns } = props;
  const room = Math.max(1, props.rows - 1);
  const heights = lines.map((l) => wrapLines([l], columns).length);
  // The last line reachable at the top: the one from which the rest fits.
  let lastTop = lines.length;
  for (let used = 0; lastTop > 0 && used + heights[lastTop - 1]! <= room; ) used += heights[--lastTop]!;
  const top = Math.max(0, Math.min(props.scroll, lastTop));
  const shown: Array<Line & { key: string; mark: boolean }> = [];
  let used = 0;
  let end = top;
  for (let i = top; i < lines.length; i++) {
    const rowsOf = wrapLines([lines[i]!], columns);
    if (used + rowsOf.length > room && i > top) break;
    rowsOf.slice(0, room - used).forEach((r, j) => shown.push({ ...r, key: `${i}-${j}`, mark: i === props.highlight }));
    used += rowsOf.length;
    end = i + 1;
  }
  // The top of the page above: as many lines before `top` as fit.
  let prevTop = top;
  for (let used = 0; prevTop > 0 && used + heights[prevTop - 1]! <= room; ) used += heights[--prevTop]!;
  if (prevTop === top && top > 0) prevTop = top - 1;
  const report = useContext(ViewportContext);
  useEffect(() => {
    report?.({ top, end, prevTop, lastTop });
  }, [report, top, end, prevTop, lastTop]);
  return (
    <>
      {shown.map((l) => (
        <Text key={l.key} color={l.color ? tone(l.color) : undefined} bold={l.bold === true} inverse={l.mark}>
          {l.text}
        </Text>
      ))}
      <Text color={tone('gray')} wrap="truncate-end">
        lines {lines.length ? top + 1 : 0}-{end} of {lines.length} · ↑↓ PgUp/PgDn scroll · {props.keys}
      </Text>
    </>
  );
}
