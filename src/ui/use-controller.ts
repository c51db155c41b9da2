/** The wizard state from the controller, re-rendering on every change. */
import { useSyncExternalStore } from 'react';
import type { WizardController } from '../wizard/controller.js';
import type { WizardState } from '../wizard/model.js';

export function useWizardState(controller: Pick<WizardController, 'subscribe' | 'getState'>): WizardState {
  return useSyncExternalStore(controller.subscribe, controller.getState, controller.getState);
}
