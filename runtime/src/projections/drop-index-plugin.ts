import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { detectDialect, type SqlDialectName } from '../store/sql/sql-dialect.js';

/**
 * The database generated projection migrations run on. They drop an index the portable way,
 * `db.schema.dropIndex(name).on(table)`: MySQL needs the table (`drop index … on …`), while
 * SQLite and PostgreSQL refuse it (index names are unique per schema there), so on those the
 * table is left out. A migration written before this, which may not have run yet, works too.
 */
export function projectionMigrationDatabase(db: Kysely<any>): Kysely<any> {
  let dialect: SqlDialectName;
  try {
    dialect = detectDialect(db);
  } catch {
    return db; // a dialect eventsmith does not know: the statements run as written
  }
  return dialect === 'mysql' ? db : db.withPlugin(new DropIndexWithoutTablePlugin());
}

class DropIndexWithoutTablePlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind !== 'DropIndexNode' || node.table === undefined) return node;
    const { table: _table, ...rest } = node;
    return Object.freeze(rest);
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}
