import { readFile } from 'node:fs/promises';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../src/schema/index.js';

describe('schema.graphql', () => {
  it('matches the code-first schema (run `npm run schema` after changing the schema)', async () => {
    const onDisk = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(onDisk).toBe(`${printSchema(getSchema())}\n`);
  });

  it('is plain SDL that code generators read: no federation header', async () => {
    const onDisk = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(onDisk).not.toMatch(/@link|@key|_service|_entities/);
  });
});
