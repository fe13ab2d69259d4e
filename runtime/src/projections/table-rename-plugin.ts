import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type SchemableIdentifierNode,
  type UnknownRow,
} from 'kysely';

/**
 * A Kysely plugin that points queries at other tables: every reference to a table named in
 * `renames` (unqualified by a schema) is rewritten to its new name, in `from`, joins, `into`,
 * updates, deletes and qualified column references alike. Raw `sql` fragments are left alone.
 * Projection rebuilds use it to replay a projection's unchanged handlers into shadow tables.
 *
 * @example
 * ```ts
 * const shadow = db.withPlugin(new TableRenamePlugin({ account_summary: 'account_summary__rebuild' }));
 * await shadow.insertInto('account_summary').values(row).execute(); // writes account_summary__rebuild
 * ```
 */
export class TableRenamePlugin implements KyselyPlugin {
  readonly #transformer: RenameTransformer;

  constructor(renames: Readonly<Record<string, string>>) {
    this.#transformer = new RenameTransformer(new Map(Object.entries(renames)));
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

class RenameTransformer extends OperationNodeTransformer {
  constructor(private readonly renames: ReadonlyMap<string, string>) {
    super();
  }

  protected override transformSchemableIdentifier(
    node: SchemableIdentifierNode,
    queryId?: Parameters<OperationNodeTransformer['transformNode']>[1],
  ): SchemableIdentifierNode {
    const transformed = super.transformSchemableIdentifier(node, queryId);
    const renamed = transformed.schema ? undefined : this.renames.get(transformed.identifier.name);
    if (renamed === undefined) return transformed;
    return { ...transformed, identifier: { ...transformed.identifier, name: renamed } };
  }
}
