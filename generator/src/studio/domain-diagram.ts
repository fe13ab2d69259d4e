import { OpsFailure } from '../ops/ops-failure.js';
import type { EventsmithConfig } from '../config/config.js';

/** A domain's flow for the studio's diagram: commands emit events, projections read them. */
export interface DomainDiagram {
  readonly name: string;
  readonly aggregates: readonly {
    readonly name: string;
    readonly commands: readonly { readonly name: string; readonly emits: readonly string[] }[];
    readonly events: readonly string[];
  }[];
  readonly projections: readonly {
    readonly name: string;
    readonly table: string;
    readonly events: readonly string[];
  }[];
}

/** Loads every domain's YAML (as `eventsmith validate` does) and keeps what the diagram draws. */
export async function loadDomainDiagrams(config: EventsmithConfig): Promise<DomainDiagram[]> {
  const { generateProject } = await import('../generate-project.js');
  const outcome = await generateProject({ config, validateOnly: true });
  if (!outcome.ok)
    throw new OpsFailure([
      {
        code: 'STUDIO.DOMAIN_INVALID',
        message: 'The domain YAML has errors, so there is no diagram.',
        fix: 'Run `eventsmith validate` to see them.',
      },
    ]);
  return outcome.models.map((model) => ({
    name: model.name,
    aggregates: model.aggregates.map((a) => ({
      name: a.name,
      commands: a.commands.map((c) => ({ name: c.name, emits: [...c.emits] })),
      events: [...a.events],
    })),
    projections: model.projections.map((p) => ({
      name: p.name,
      table: p.table,
      events: [...new Set(p.handlers.map((h) => h.event))],
    })),
  }));
}
