import { describe, expect, it } from 'vitest';
import { currentTenant, requireTenant, TenantContextMissingError, withTenant } from './tenant-context.js';

describe('tenant context', () => {
  it('is ambient across awaits and nested scopes, and absent outside them', async () => {
    expect(currentTenant()).toBeUndefined();
    await withTenant('acme', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(currentTenant()).toBe('acme');
      await withTenant('globex', async () => expect(requireTenant()).toBe('globex'));
      expect(currentTenant()).toBe('acme');
    });
    expect(currentTenant()).toBeUndefined();
  });

  it('keeps concurrent scopes apart', async () => {
    const seen = await Promise.all(
      ['a', 'b', 'c'].map((tenant) =>
        withTenant(tenant, async () => {
          await new Promise((resolve) => setTimeout(resolve, 3 - tenant.charCodeAt(0) + 97));
          return currentTenant();
        }),
      ),
    );
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('requireTenant throws a coded error outside a scope', () => {
    expect(() => requireTenant()).toThrow(TenantContextMissingError);
    expect(() => requireTenant()).toThrow(/withTenant/);
  });
});
