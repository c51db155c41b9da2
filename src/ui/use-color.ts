/** Colour on or off for the whole tree (NO_COLOR, tests): components ask for a colour through here. */
import { createContext, useContext } from 'react';

export const ColorContext = createContext(true);

/** A colour for ink's `color` prop, or undefined when colour is off. */
export function useTone(): (color: string) => string | undefined {
  const on = useContext(ColorContext);
  return (color) => (on ? color : undefined);
}
