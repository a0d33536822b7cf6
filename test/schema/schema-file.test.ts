import { readFile } from 'node:fs/promises';
import { graphql, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { FEDERATION_SPEC_URL } from '../../src/schema/federation.js';
import { getClientSchema, getSchema } from '../../src/schema/index.js';

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('schema.graphql', () => {
  it('matches the code-first schema (run `npm run schema` after changing the schema)', async () => {
    expect(await read('schema.graphql')).toBe(`${printSchema(getClientSchema())}\n`);
  });

  it('is plain SDL that code generators read: no federation header', async () => {
    expect(await read('schema.graphql')).not.toMatch(/@link|@key|@shareable|_service|_entities|_Any|_Entity|_Service/);
  });

  it("is the served API less federation's additions, and nothing else", () => {
    const served = getSchema();
    const client = getClientSchema();
    const federationTypes = ['_Any', '_Entity', '_Service'];
    expect(
      Object.keys(served.getTypeMap())
        .filter((name) => !federationTypes.includes(name))
        .sort(),
    ).toEqual(Object.keys(client.getTypeMap()).sort());
    expect(Object.keys(served.getQueryType()!.getFields()).sort()).toEqual(
      [...Object.keys(client.getQueryType()!.getFields()), '_entities', '_service'].sort(),
    );
  });
});

describe('subgraph.graphql', () => {
  it('is exactly what `_service { sdl }` serves (run `npm run schema` after changing the schema)', async () => {
    const result = await graphql({ schema: getSchema(), source: '{ _service { sdl } }' });
    expect(result.errors).toBeUndefined();
    expect(await read('subgraph.graphql')).toBe(`${(result.data as { _service: { sdl: string } })._service.sdl}\n`);
  });

  it('is a Federation v2 subgraph: the @link header and the entity keys', async () => {
    const sdl = await read('subgraph.graphql');
    expect(sdl).toContain(`extend schema\n  @link(url: "${FEDERATION_SPEC_URL}", import: ["@key", "@shareable"])`);
    expect(sdl).toMatch(/type Session implements Node\s+@key\(fields: "sessionId"\)\s*\{/);
    expect(sdl).toMatch(/type WorkGroup implements Node\s+@key\(fields: "name"\)\s*\{/);
    expect(sdl).toMatch(/type PageInfo\s+@shareable\s*\{/);
    // Federation's own plumbing is the router's business, not part of the published SDL.
    expect(sdl).not.toMatch(/_entities|_service|_Any|_Entity/);
  });
});
