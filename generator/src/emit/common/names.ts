import { camelCase, pascalCase } from './naming.js';

/**
 * The names of every symbol the targets emit, in one place beside {@link Layout} (which says in
 * which file each lives): a target that uses another target's symbol asks here, never imports
 * that target's code.
 */

/** Names of the symbols emitted for one event. */
export function eventNames(event: { readonly name: string }) {
  return {
    cls: event.name,
    schema: `${camelCase(event.name)}Schema`,
    data: `${event.name}Data`,
    input: `${event.name}Input`,
    version: (v: number) => `${event.name}V${v}`,
  };
}

/** Names of the domain-wide symbols in `registry.ts`. */
export function registryNames(domain: string) {
  const camel = camelCase(domain);
  const pascal = pascalCase(domain);
  return {
    classes: `${camel}EventClasses`,
    union: `${pascal}Event`,
    aliases: `${camel}EventAliases`,
    custom: `${pascal}CustomUpcasters`,
    options: `Create${pascal}RegistryOptions`,
    /** `createBankRegistry`. */
    factory: `create${pascal}Registry`,
    /** `shopCustomUpcasterPlaceholders`: throwing stand-ins for every custom step (for tests). */
    placeholders: `${camel}CustomUpcasterPlaceholders`,
  };
}

/** Names of the symbols emitted for one upcast step (`from` → `from + 1`). */
export function stepNames(event: { readonly name: string }, from: number) {
  const suffix = `V${from}ToV${from + 1}`;
  return {
    /** The function type: old version JSON → next version JSON. */
    type: `${event.name}${suffix}`,
    /** The declarative step, or the user's custom function. */
    fn: `${camelCase(event.name)}${suffix}`,
    /** The key in the registry's `upcasters` option (custom steps). */
    key: `${event.name}${suffix}`,
    sample: `${camelCase(event.name)}V${from}Sample`,
  };
}

/** Names of the symbols emitted for one aggregate. */
export function aggregateNames(aggregate: { readonly name: string }) {
  const camel = camelCase(aggregate.name);
  return {
    cls: aggregate.name,
    base: `${aggregate.name}Base`,
    state: `${aggregate.name}State`,
    stateSchema: `${camel}StateSchema`,
    initialState: `${camel}InitialState`,
    union: `${aggregate.name}Event`,
    classes: `${camel}EventClasses`,
    snapshotPolicy: `${camel}SnapshotPolicy`,
    handler: (event: string) => `on${event}`,
    raise: (event: string) => `raise${event}`,
    /** The parsed parameters the command method receives (defaults applied). */
    command: (command: string) => `${aggregate.name}${pascalCase(command)}Command`,
    /** What callers pass (parameters with defaults may be left out). */
    commandInput: (command: string) => `${aggregate.name}${pascalCase(command)}CommandInput`,
    commandSchema: (command: string) => `${camel}${pascalCase(command)}CommandSchema`,
  };
}

/** Names of the symbols emitted for one projection. */
export function projectionNames(projection: { readonly name: string }) {
  return {
    row: `${projection.name}Row`,
    table: `${projection.name}Table`,
    tables: `${projection.name}Tables`,
    custom: `${projection.name}CustomHandlers`,
    factory: `create${projection.name}Projection`,
    userHandlers: `${camelCase(projection.name)}Handlers`,
  };
}

/** `createShopProjections` and friends. */
export function domainProjectionNames(domain: string) {
  return { factory: `create${pascalCase(domain)}Projections`, custom: `${pascalCase(domain)}CustomProjectionHandlers` };
}
