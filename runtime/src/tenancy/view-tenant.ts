import { TenantMismatchError } from '../errors.js';

/**
 * What `forTenant(asked)` may do on something whose tenant is `viewTenant` (undefined: not a
 * view). A view asked for its own tenant gives itself back (true); asked for another tenant it
 * throws `TenantMismatchError`, because code handed a tenant's view must never reach another
 * tenant's data through it. Not a view: false, make the view.
 */
export function sameTenantView(what: string, viewTenant: string | undefined, asked: string): boolean {
  if (viewTenant === undefined || viewTenant === '') return false;
  if (viewTenant === asked) return true;
  throw new TenantMismatchError(
    viewTenant,
    asked,
    [],
    `This ${what} is tenant "${viewTenant}"'s view, so it cannot make a view of tenant "${asked}": a tenant view ` +
      `never reaches another tenant's data. Call forTenant("${asked}") on the ${what} itself, not on a tenant's view.`,
  );
}
