import { DomainIndex } from '../common/domain-index.js';
import { jsonObjectType, schemaName, zodObject, type TypeContext } from '../common/field-types.js';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { docComment, literal } from '../common/naming.js';

/**
 * `types.ts`: each shared value object and enum as a zod schema, its parsed type, and (for
 * value objects) its stored JSON type. Ordered so every schema is declared before it is used.
 */
export function emitTypes(index: DomainIndex, layout: Layout): GeneratedFile | undefined {
  if (index.model.types.length === 0) return undefined;
  const file = GeneratedFile.generated(layout.types, DomainIndex.sourcesOf(...index.model.types));
  const ctx: TypeContext = { file, layout, index };
  const z = file.import('z', '@eventsmith/runtime');
  for (const type of index.typesInDependencyOrder()) {
    const schema = schemaName(type.name);
    if (type.kind === 'EnumNode') {
      file.print(
        `${docComment(type.description)}export const ${schema} = ${z}.enum([${type.values.map((v) => literal(v)).join(', ')}]);\n` +
          `${docComment(type.description)}export type ${type.name} = ${z}.output<typeof ${schema}>;`,
      );
    } else {
      file.print(
        `${docComment(type.description)}export const ${schema} = ${zodObject(ctx, type.fields)};\n` +
          `${docComment(type.description)}export type ${type.name} = ${z}.output<typeof ${schema}>;\n` +
          `/** ${type.name} as stored in event JSON. */\nexport type ${type.name}Json = ${jsonObjectType(ctx, type.fields)};`,
      );
    }
  }
  return file;
}
