import { createContext } from 'react';
import type { Viewport } from '../wizard/model.js';

/** Where a scrolled view tells the wizard what it shows (so a page key moves exactly a page); null in isolation. */
export const ViewportContext = createContext<((v: Viewport) => void) | null>(null);
