import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import domainSchema from '../domain.schema.json' with { type: 'json' };

const root = fileURLToPath(new URL('../../', import.meta.url));
const exampleFiles = ['bank', 'shop'].flatMap((name) =>
  readdirSync(`${root}examples/${name}/domain`).map((f) => `${root}examples/${name}/domain/${f}`),
);

describe('domain.schema.json', () => {
  it('is a valid draft-07 schema (what the YAML editor extensions implement)', () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(domainSchema)).toBe(true);
  });

  it('describes every property, so editors show documentation on completion', () => {
    const undocumented: string[] = [];
    const visit = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      for (const [name, property] of Object.entries(
        (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        const described =
          typeof property.description === 'string' ||
          (typeof property.$ref === 'string' && refDescribed(property.$ref));
        if (!described) undocumented.push(`${path}/properties/${name}`);
      }
      for (const [key, child] of Object.entries(schema)) if (key !== 'if') visit(child, `${path}/${key}`);
    };
    const refDescribed = (ref: string) => {
      const target = ref
        .replace('#/', '')
        .split('/')
        .reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], domainSchema);
      return typeof (target as { description?: unknown })?.description === 'string';
    };
    visit(domainSchema, '#');
    expect(undocumented).toEqual([]);
  });

  it('accepts every example file, each of which points editors at it', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(domainSchema);
    expect(exampleFiles.length).toBeGreaterThanOrEqual(7);
    for (const file of exampleFiles) {
      const text = readFileSync(file, 'utf8');
      expect(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const pointer = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
      expect(pointer, file).toBeDefined();
      expect(resolve(dirname(file), pointer!)).toBe(resolve(root, 'schema/domain.schema.json'));
    }
  });
});
