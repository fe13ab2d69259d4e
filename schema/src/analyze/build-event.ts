import {
  CustomUpcastNode,
  DeclarativeUpcastNode,
  EventNode,
  EventVersionNode,
  type FieldNode,
  type UpcastNode,
} from '../model.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { BuildContext } from './build-context.js';
import { asNameList, buildFields } from './build-fields.js';
import { buildEventFields } from './event-fields.js';
import { liftSteps, type RawStep } from './upcast-steps.js';

interface RawEvent {
  readonly description?: string;
  readonly version?: number;
  readonly renamedFrom?: string | readonly string[];
  readonly retired?: boolean;
  readonly fields?: Record<string, unknown> | null;
  readonly history?: Record<string, RawVersion>;
}

interface RawVersion {
  readonly description?: string;
  readonly fields?: Record<string, unknown> | null;
  readonly upcast?: 'custom' | readonly RawStep[];
}

/**
 * Builds an event with its history. Checks that versions 1 … version-1 are all declared and
 * that each declared upcast explains every difference between a version and the next.
 */
export function buildEvent(ctx: BuildContext, aggregate: string, name: string, raw: unknown): EventNode | undefined {
  const path: PathSegment[] = ['aggregates', aggregate, 'events', name];
  const event = (raw ?? {}) as RawEvent;
  let ok = ctx.checkTopLevelName(name, 'Event', path);
  const version = event.version ?? 1;
  const fields = buildEventFields(ctx, event.fields, [...path, 'fields'], aggregate);
  if (!fields) ok = false;

  const renamedFrom = asNameList(event.renamedFrom);
  for (const [i, old] of renamedFrom.entries()) {
    const at = Array.isArray(event.renamedFrom) ? [...path, 'renamedFrom', i] : [...path, 'renamedFrom'];
    if (old === name) {
      ctx.report(
        'EVENT.INVALID_STEP',
        `Event "${name}" lists its own name in renamedFrom.`,
        'List only former names of this event.',
        ctx.at(at, 'value'),
      );
      ok = false;
    } else if (!ctx.checkTsName(old, 'Former event name', at, 'value')) {
      ok = false; // a key of the generated alias table
    }
  }

  // Versions: every key must be below `version`, and every version below it must be declared.
  const history = event.history ?? {};
  const declared = new Map<number, RawVersion>();
  for (const [key, rawVersion] of Object.entries(history)) {
    const v = Number(key);
    if (v >= version) {
      ctx.report(
        'EVENT.VERSION_OUT_OF_RANGE',
        `Event "${name}" is at version ${version}, so its history cannot hold version ${v}.`,
        `History holds the older versions 1 … ${version - 1}. Raise \`version:\` to ${v + 1} if v${v} is an older version, or remove it.`,
        ctx.at([...path, 'history', key]),
      );
      ok = false;
    } else declared.set(v, rawVersion);
  }
  // One error per run of missing versions: `version: 100000` with no history is one problem, not 99,999.
  const bounds = [0, ...[...declared.keys()].sort((a, b) => a - b), version];
  for (let i = 1; i < bounds.length; i++) {
    const from = bounds[i - 1]! + 1;
    const to = bounds[i]! - 1;
    if (from > to) continue;
    const where = event.history ? ctx.at([...path, 'history']) : ctx.at([...path, 'version']);
    ctx.report(
      'EVENT.VERSION_GAP',
      from === to
        ? `Event "${name}" is at version ${version} but version ${from} is not declared in its history.`
        : `Event "${name}" is at version ${version} but versions ${from} to ${to} are not declared in its history.`,
      `Add \`history: { ${from}: { fields: { … }, upcast: [ … ] } }\` describing version ${from} and how to lift it to ${from + 1}${from === to ? '' : ', and so on for every version up to ' + to}.`,
      where,
    );
    ok = false;
  }

  const versionFields = new Map<number, FieldNode[] | undefined>();
  for (const [v, rawVersion] of declared)
    versionFields.set(v, buildFields(ctx, rawVersion.fields, [...path, 'history', String(v), 'fields']));
  versionFields.set(version, fields);

  const versions: EventVersionNode[] = [];
  for (const v of [...declared.keys()].sort((a, b) => a - b)) {
    const rawVersion = declared.get(v)!;
    const versionPath = [...path, 'history', String(v)];
    const from = versionFields.get(v);
    const to = versionFields.get(v + 1);
    let upcast: UpcastNode | undefined;
    if (rawVersion.upcast === 'custom') {
      upcast = CustomUpcastNode.create({ source: ctx.at([...versionPath, 'upcast']) });
    } else if (from && to) {
      const steps = liftSteps(ctx, {
        event: name,
        version: v,
        from,
        to,
        rawSteps: rawVersion.upcast ?? [],
        path: versionPath,
      });
      if (steps)
        upcast = DeclarativeUpcastNode.create({
          steps,
          source: ctx.at(rawVersion.upcast ? [...versionPath, 'upcast'] : versionPath),
        });
    }
    if (!from || !upcast) {
      ok = false;
      continue;
    }
    versions.push(
      EventVersionNode.create({
        version: v,
        description: rawVersion.description,
        fields: from,
        upcast,
        source: ctx.at(versionPath),
      }),
    );
  }

  if (!ok || !fields) return undefined;
  return EventNode.create({
    name,
    aggregate,
    version,
    description: event.description,
    fields,
    renamedFrom,
    retired: event.retired === true,
    history: versions,
    source: ctx.at(path),
  });
}
