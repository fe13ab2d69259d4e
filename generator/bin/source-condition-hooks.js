// Module resolve hook used only in a checkout of the eventsmith repository (see eventsmith.js): resolves
// @eventsmith/* packages to their TypeScript sources through the `@eventsmith/source` export condition.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@eventsmith/source')
    ? context.conditions
    : [...context.conditions, '@eventsmith/source'];
  return nextResolve(specifier, { ...context, conditions });
}
