import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRETTIER_OPTIONS } from './format-source.js';

describe('prettier options', () => {
  it('are the same for generated code and for the repository’s own code (.prettierrc.json)', () => {
    const repository = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../../.prettierrc.json', import.meta.url)), 'utf8'),
    );
    expect(repository).toEqual(PRETTIER_OPTIONS);
  });
});
