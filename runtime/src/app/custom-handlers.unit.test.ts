import { describe, expect, it } from 'vitest';
import type { AppDependencies } from './app-definition.js';
import { AppConfigError } from './app-errors.js';
import { customHandlers, customReaction } from './custom-handlers.js';

const handlers = { async Opened() {} };

describe('customHandlers', () => {
  it('returns an object as it is, and calls a factory with the dependencies', () => {
    expect(customHandlers('Stats', handlers, undefined)).toBe(handlers);
    const deps = {
      db: {},
      store: {},
      clock: () => new Date(0),
      services: { n: 1 },
    } as unknown as AppDependencies;
    let given: AppDependencies | undefined;
    const built = customHandlers('Stats', (d) => ((given = d), handlers), deps);
    expect(built).toBe(handlers);
    expect(given).toBe(deps);
  });

  it('refuses missing handlers, naming the projection and the option to pass them in', () => {
    for (const missing of [undefined, null, 'handlers']) {
      const call = () => customHandlers('Stats', missing as unknown as typeof handlers, undefined);
      expect(call).toThrow(AppConfigError);
      expect(call).toThrow(/custom handlers of Stats are missing .*projections: \{ Stats: … \}/);
    }
  });

  it('refuses a missing custom reaction, naming it and the option to pass it in', () => {
    const notify = () => undefined;
    expect(customReaction('Notify', notify)).toBe(notify);
    for (const missing of [undefined, null, {}]) {
      const call = () => customReaction('Notify', missing as unknown as typeof notify);
      expect(call).toThrow(AppConfigError);
      expect(call).toThrow(/custom reaction Notify is missing .*reactions: \{ Notify: … \}/);
    }
  });

  it('refuses a factory without dependencies, naming the projection', () => {
    expect(() => customHandlers('Stats', () => handlers, undefined)).toThrow(AppConfigError);
    expect(() => customHandlers('Stats', () => handlers, undefined)).toThrow(/custom handlers of Stats are a factory/);
  });
});
