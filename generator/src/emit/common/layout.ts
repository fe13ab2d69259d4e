import { kebabCase } from './naming.js';

/** Where generated and user-owned files go, given the configured folders (project-relative). */
export interface EmitOptions {
  /** Folder for generated code, e.g. `generated/bank`. */
  readonly outDir: string;
  /** Folder for user-owned files (skeletons, custom steps), e.g. `examples/bank/src`. */
  readonly userDir: string;
  /** Folder of this domain's docs catalog (`eventsmith docs`), e.g. `docs/bank`. */
  readonly docsDir?: string;
}

/** Every output path in one place, so emitters agree on where a symbol lives. */
export class Layout {
  constructor(readonly options: EmitOptions) {}

  get index(): string {
    return this.#out('index.ts');
  }
  get types(): string {
    return this.#out('types.ts');
  }
  get registry(): string {
    return this.#out('registry.ts');
  }
  eventsOf(aggregate: string): string {
    return this.#out(`events/${kebabCase(aggregate)}.ts`);
  }
  upcastersOf(event: string): string {
    return this.#out(`upcasters/${kebabCase(event)}.ts`);
  }
  get goldenTest(): string {
    return this.#out('upcasters/golden.unit.test.ts');
  }
  aggregate(aggregate: string): string {
    return this.#out(`aggregates/${kebabCase(aggregate)}.ts`);
  }
  projection(projection: string): string {
    return this.#out(`projections/${kebabCase(projection)}.ts`);
  }
  get projectionsIndex(): string {
    return this.#out('projections/index.ts');
  }
  get projectionDatabase(): string {
    return this.#out('projections/database.ts');
  }
  get migrationsDir(): string {
    return this.#out('projections/migrations');
  }
  migration(name: string): string {
    return this.#out(`projections/migrations/${name}.ts`);
  }
  get migrationsIndex(): string {
    return this.#out('projections/migrations/index.ts');
  }
  get projectionSnapshot(): string {
    return this.#out('projections/migrations/snapshot.json');
  }
  /** The app definition and `create<Domain>App`. */
  get app(): string {
    return this.#out('app.ts');
  }
  /** The shape of every published event version (`eventsmith generate` checks the YAML against it). */
  get eventLock(): string {
    return this.#out('events.lock.json');
  }

  /** The docs catalog's folder; only `eventsmith docs` sets it. */
  get docsDir(): string {
    if (this.options.docsDir === undefined)
      throw new Error('Internal generator error: no docsDir for the docs target.');
    return this.options.docsDir;
  }

  userAggregate(aggregate: string): string {
    return this.#user(`aggregates/${kebabCase(aggregate)}.ts`);
  }
  userUpcaster(event: string, fromVersion: number): string {
    return this.#user(`upcasters/${kebabCase(event)}-v${fromVersion}-to-v${fromVersion + 1}.ts`);
  }
  userUpcasterTest(event: string, fromVersion: number): string {
    return this.#user(`upcasters/${kebabCase(event)}-v${fromVersion}-to-v${fromVersion + 1}.unit.test.ts`);
  }
  /** The folder of the custom projection handlers. */
  get userProjectionsDir(): string {
    return this.#user('projections');
  }
  userProjection(projection: string): string {
    return this.#user(`projections/${kebabCase(projection)}.ts`);
  }
  userReaction(reaction: string): string {
    return this.#user(`reactions/${kebabCase(reaction)}.ts`);
  }

  #out(rel: string): string {
    return join(this.options.outDir, rel);
  }
  #user(rel: string): string {
    return join(this.options.userDir, rel);
  }
}

function join(dir: string, rel: string): string {
  const clean = dir.replace(/\\/g, '/').replace(/\/+$/, '').replace(/^\.\//, '');
  return clean === '' || clean === '.' ? rel : `${clean}/${rel}`;
}
