import type {
  Kysely,
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { binaryCollation, binaryTableOptions } from '../store/sql/binary-collation.js';
import { detectDialect, type SqlDialectName } from '../store/sql/sql-dialect.js';

/**
 * The database generated projection migrations run on. They drop an index the portable way,
 * `db.schema.dropIndex(name).on(table)`: MySQL needs the table (`drop index … on …`), while
 * SQLite and PostgreSQL refuse it (index names are unique per schema there), so on those the
 * table is left out. A migration written before this, which may not have run yet, works too.
 *
 * On MariaDB/MySQL a table they create gets a binary, not padding collation (see
 * `binaryCollation`), unless the migration names one: keys `A1`, `a1` and `a1 ` are three rows,
 * as on SQLite and PostgreSQL, not one as under the usual default `utf8mb4_general_ci`.
 */
export async function projectionMigrationDatabase(db: Kysely<any>): Promise<Kysely<any>> {
  let dialect: SqlDialectName;
  try {
    dialect = detectDialect(db);
  } catch {
    return db; // a dialect eventsmith does not know: the statements run as written
  }
  if (dialect === 'mysql') return db.withPlugin(new BinaryCollationPlugin(await binaryCollation(db)));
  return db.withPlugin(new DropIndexWithoutTablePlugin());
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

class BinaryCollationPlugin implements KyselyPlugin {
  readonly #options: OperationNode;

  constructor(collation: string) {
    this.#options = binaryTableOptions(collation).toOperationNode();
  }

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind !== 'CreateTableNode' || node.selectQuery !== undefined) return node;
    const modifiers = node.endModifiers ?? [];
    // A migration that chose its table's character set or collation keeps it.
    if (/collat|charset|character set/i.test(JSON.stringify(modifiers))) return node;
    return Object.freeze({ ...node, endModifiers: Object.freeze([...modifiers, this.#options]) });
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}
