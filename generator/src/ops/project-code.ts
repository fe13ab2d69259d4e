import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  EventRegistry,
  type AggregateClass,
  type AppDependencies,
  type EventStore,
  type Projection,
} from '@eventsmith/runtime';
import type { Kysely } from 'kysely';
import type { EventsmithConfig } from '../config/config.js';
import type { ProjectError } from '../config/project-error.js';
import { Layout } from '../emit/common/layout.js';
import { importTypeScript } from './import-typescript.js';
import { OpsFailure } from './ops-failure.js';

/** What the operations tools use of a project's code: its events, aggregate classes and projections. */
export interface ProjectCode {
  /** Every domain's events, upcasters and aliases in one registry. */
  readonly registry: EventRegistry;
  /** The aggregate classes (yours, in each domain's `userDir`), by aggregate type. */
  readonly aggregates: ReadonlyMap<string, AggregateClass>;
  /**
   * The generated projections of every domain, by name. Built on first use: custom handlers written
   * as a factory get the store given to {@link ProjectCode.bind} as their `store` and `db` (and
   * `services: {}`: the operations tools do not have your app's services).
   */
  readonly projections: ReadonlyMap<string, Projection<any>>;
  /** The event types each generated reaction (`reactions:` in the YAML) handles, by its subscription name. */
  readonly reactions?: ReadonlyMap<string, readonly string[]>;
  /** The store the projections' factories receive; `StoreInspector.open` calls it. */
  bind?(store: EventStore & { readonly db: Kysely<any> }): void;
}

/**
 * Imports each domain's generated code (`<output>/index.ts`: the registry and the projections) and
 * the aggregate classes in `<userDir>/aggregates/`, through tsx when Node cannot load TypeScript.
 *
 * @example
 * ```ts
 * const code = await loadProjectCode(config);
 * const store = await SqliteEventStore.open({ filename: 'app.db', registry: code.registry });
 * ```
 */
export async function loadProjectCode(config: EventsmithConfig): Promise<ProjectCode> {
  const registries: EventRegistry[] = [];
  const aggregates = new Map<string, AggregateClass>();
  const projectionFactories: (() => Projection<any>[])[] = [];
  const reactions = new Map<string, readonly string[]>();
  let dependencies: AppDependencies | undefined;
  for (const domain of config.domains) {
    const layout = new Layout({ outDir: domain.output, userDir: domain.userDir });
    const index = join(config.root, layout.index);
    if (!(await isFile(index)))
      throw failure({
        code: 'OPS.NOT_GENERATED',
        message: `${layout.index} does not exist.`,
        fix: 'Run `eventsmith generate` first.',
      });
    const module = (await load(index)) as Record<string, unknown>;
    const createRegistry = exported(module, /^create\w+Registry$/);
    if (!createRegistry)
      throw failure({
        code: 'OPS.NOT_GENERATED',
        message: `${layout.index} exports no create…Registry function.`,
        fix: 'Run `eventsmith generate` to bring the generated code up to date.',
      });
    // The user-owned parts the generated factories take: custom upcasters (`PaymentAuthorizedV1ToV2`,
    // exported as paymentAuthorizedV1ToV2 from upcasters/) and custom projection handlers
    // (`CustomerStats`, exported as customerStatsHandlers from projections/).
    const userDir = join(config.root, domain.userDir);
    const upcasters: Record<string, unknown> = {};
    const handlers: Record<string, unknown> = {};
    for (const [name, value] of await exportsIn(join(userDir, 'upcasters'))) {
      if (/^[a-z]\w*V\d+ToV\d+$/.test(name)) upcasters[pascal(name)] = value;
    }
    for (const [name, value] of await exportsIn(join(userDir, 'projections'))) {
      if (/^[a-z]\w*Handlers$/.test(name)) handlers[pascal(name.slice(0, -'Handlers'.length))] = value;
    }
    registries.push(call(layout.index, createRegistry, { upcasters }) as EventRegistry);
    const createProjections = exported(module, /^create\w+Projections$/);
    if (createProjections)
      projectionFactories.push(
        () =>
          call(layout.index, createProjections, handlers, ...(dependencies ? [dependencies] : [])) as Projection<any>[],
      );
    const createReactions = exported(module, /^[a-z]\w*Reactions$/);
    for (const reaction of reactionsOf(createReactions)) reactions.set(reaction.name, reaction.eventTypes);
    for (const [, value] of await exportsIn(join(userDir, 'aggregates'))) {
      const type = typeof value === 'function' ? (value as { aggregateType?: unknown }).aggregateType : undefined;
      if (typeof type === 'string' && type !== '') aggregates.set(type, value as AggregateClass);
    }
  }
  let projections: Map<string, Projection<any>> | undefined;
  return {
    registry: EventRegistry.merge(...registries),
    aggregates,
    reactions,
    get projections() {
      projections ??= new Map(projectionFactories.flatMap((build) => build().map((p) => [p.name, p] as const)));
      return projections;
    },
    bind(store) {
      dependencies = { db: store.db, store, clock: () => new Date(), services: {} };
      projections = undefined;
    },
  };
}

/** The exports of every module in `dir` (not tests), by file name then export order. */
async function exportsIn(dir: string): Promise<[string, unknown][]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const out: [string, unknown][] = [];
  for (const file of files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort())
    out.push(...Object.entries((await load(join(dir, file))) as Record<string, unknown>));
  return out;
}

function call(file: string, fn: (...args: unknown[]) => unknown, ...args: unknown[]): unknown {
  try {
    return fn(...args);
  } catch (error) {
    throw failure({
      code: 'OPS.PROJECT_CODE',
      message: `${fn.name} in ${file} failed: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'Run `eventsmith generate`, and check the custom upcasters and projection handlers in your userDir.',
    });
  }
}

/**
 * The name and event types of each reaction `<domain>Reactions(custom)` returns; none when it is
 * missing or throws (without them, a reaction's lag counts every event, as for an unknown subscription).
 */
function reactionsOf(create: ((...args: unknown[]) => unknown) | undefined): { name: string; eventTypes: string[] }[] {
  let created: unknown;
  try {
    created = create?.({});
  } catch {
    return [];
  }
  return (Array.isArray(created) ? (created as unknown[]) : []).flatMap((r) => {
    const { name, eventTypes } = (r ?? {}) as { name?: unknown; eventTypes?: unknown };
    return typeof name === 'string' && Array.isArray(eventTypes) ? [{ name, eventTypes: eventTypes.map(String) }] : [];
  });
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function exported(module: Record<string, unknown>, name: RegExp): ((...args: unknown[]) => unknown) | undefined {
  const key = Object.keys(module)
    .filter((k) => name.test(k) && typeof module[k] === 'function')
    .sort()[0];
  return key === undefined ? undefined : (module[key] as (...args: unknown[]) => unknown);
}

async function load(file: string): Promise<unknown> {
  try {
    return await importTypeScript(pathToFileURL(file).href);
  } catch (error) {
    throw failure({
      code: 'OPS.IMPORT',
      message: `Cannot import ${file}: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'Run `eventsmith generate`, and check that the file compiles (npx tsc --noEmit).',
    });
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

function failure(error: ProjectError): OpsFailure {
  return new OpsFailure([error]);
}
