// `eventsmith store-id --db <url>` prints the store id the database keeps; `eventsmith store-id set
// <id> --db <url> [--rewrite-positions]` changes it (see the help text).
import { OpsFailure } from '../ops/ops-failure.js';
import { changeStoreId, showStoreId, type StoreIdReport } from '../ops/store-id.js';
import type { ParsedArgs } from './args.js';
import { cliFailureOf, usageFailure } from './cli-error.js';
import type { CliIo } from './io.js';
import { plural, type OutputFormat } from './report.js';

/** Checks the sub-command, its argument and the flags before the database is opened. */
export function checkStoreIdRequest(parsed: ParsedArgs): { set: string | undefined } {
  const [sub, id, extra] = parsed.positionals;
  if (sub !== undefined && sub !== 'set')
    throw usageFailure({
      code: 'CLI.UNKNOWN_COMMAND',
      message: `Unknown sub-command "${sub}" of \`eventsmith store-id\`.`,
      fix: 'Write `eventsmith store-id --db <url>` to print the id, or `eventsmith store-id set <id> --db <url>` to change it.',
    });
  if (sub === 'set' && id === undefined)
    throw usageFailure({
      code: 'CLI.MISSING_ARGUMENT',
      message: '`eventsmith store-id set` needs the new store id.',
      fix: 'Write `eventsmith store-id set <id> --db <url>`.',
    });
  if (extra !== undefined || (sub === undefined && id !== undefined))
    throw usageFailure({
      code: 'CLI.UNEXPECTED_ARGUMENT',
      message: `Unexpected argument "${extra ?? id}".`,
      fix: 'See `eventsmith store-id --help`.',
    });
  if (sub === undefined && parsed.flags.has('rewrite-positions'))
    throw usageFailure({
      code: 'CLI.NOT_APPLICABLE',
      message: '--rewrite-positions applies to `eventsmith store-id set`.',
      fix: 'Write `eventsmith store-id set <id> --db <url> --rewrite-positions`.',
    });
  if (typeof parsed.flags.get('db') !== 'string')
    throw usageFailure({
      code: 'CLI.MISSING_FLAG',
      message: `\`eventsmith store-id${sub === undefined ? '' : ' set'}\` needs --db <url>.`,
      fix: `For example: eventsmith store-id${sub === undefined ? '' : ` set ${id}`} --db sqlite:app.db (or set the EVENTSMITH_DB environment variable).`,
    });
  return { set: sub === 'set' ? id : undefined };
}

/** Runs `eventsmith store-id [set <id>]`; resolves with the exit status. */
export async function runStoreId(io: CliIo, parsed: ParsedArgs, format: OutputFormat): Promise<number> {
  const { set } = checkStoreIdRequest(parsed);
  const url = parsed.flags.get('db') as string;
  const print = (json: unknown, text: string) =>
    io.out(format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
  try {
    if (set === undefined) {
      const report = await showStoreId(url, io.cwd);
      const fromName = report.storeId === report.derivedStoreId;
      print({ ...report, fromName }, showText(report, fromName));
      return 0;
    }
    const result = await changeStoreId(url, io.cwd, set, { rewritePositions: parsed.flags.has('rewrite-positions') });
    const { previousStoreId: previous, rewritten } = result;
    const moved = [
      ...(rewritten.checkpoints ? [plural(rewritten.checkpoints, 'checkpoint')] : []),
      ...(rewritten.deadLetters ? [plural(rewritten.deadLetters, 'dead letter')] : []),
    ];
    const others = result.otherIds.map(
      (o) =>
        `\nnote: ${plural(o.count, o.table === 'checkpoints' ? 'checkpoint' : 'dead letter')} ${carry(o.count)} "${o.storeId}", another store's id; left as they were.`,
    );
    print(
      result,
      result.changed
        ? `The database now keeps the store id "${set}" (it kept "${previous}")` +
            `${moved.length ? `; the positions of ${moved.join(' and ')} now carry it` : ''}.\n` +
            `Open its stores without a storeId option, or with storeId: "${set}"; a store opened before keeps "${previous}" until it is opened again.` +
            others.join('')
        : `The database already keeps the store id "${set}"; nothing changed.${others.join('')}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof OpsFailure) throw cliFailureOf(error);
    throw error;
  }
}

function showText(report: StoreIdReport, fromName: boolean): string {
  const carried = report.positions.map(
    (p) =>
      `  ${plural(p.count, p.table === 'checkpoints' ? 'checkpoint' : 'dead letter')} ${carry(p.count)} ${p.storeId === report.storeId ? 'it' : `"${p.storeId}" (another store's id)`}`,
  );
  return [
    report.storeId,
    fromName
      ? "  kept in eventsmith_store_identity; it is the id the database's name gives."
      : `  kept in eventsmith_store_identity; not the id the database's name gives ("${report.derivedStoreId}"): it was kept from the storeId option of the store that first migrated it, from its checkpoints, or from the database it was copied or restored from, or set with \`eventsmith store-id set\`.`,
    ...(carried.length ? carried : ['  no checkpoint or dead letter carries a position yet']),
  ].join('\n');
}

function carry(count: number): string {
  return count === 1 ? 'carries' : 'carry';
}
