// Builder setup only: types live in their own modules.
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    SafeInt: { Input: number; Output: number };
  };
  // Fields are nullable unless they say otherwise: one failing upstream call nulls one field,
  // not its whole parent.
  DefaultFieldNullability: true;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
}>({
  // Federation writes its @key and @shareable through the directives plugin, so that comes first;
  // federation goes last, after any plugin that wraps resolvers.
  plugins: [RelayPlugin, DirectivesPlugin, FederationPlugin],
  relay: {
    clientMutationId: 'omit',
    // node and nodes are ours (schema/node.ts): they pick the cheapest upstream call per selection.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    cursorType: 'String',
    // Every Relay subgraph has a PageInfo: shareable, ours composes with theirs (schema/federation.ts).
    pageInfoTypeOptions: { shareable: true },
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    decodeGlobalID: (globalID) => decodeGlobalId(globalID),
    encodeGlobalID: (typename, id) => Buffer.from(`${typename}:${String(id)}`, 'utf8').toString('base64'),
  },
});

const GLOBAL_ID_TYPES = new Set(['Session', 'WorkGroup', 'Calculation']);

/** Global ids are base64 of `Type:key`; anything else is the caller's mistake, not ours. */
export function decodeGlobalId(globalID: string): { typename: string; id: string } {
  const invalid = () => new BadUserInputError('Malformed global id: pass an `id` this API returned, unchanged.', 'id');
  if (globalID.length === 0 || globalID.length > 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(globalID)) throw invalid();
  const decoded = Buffer.from(globalID, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 1) throw invalid();
  const typename = decoded.slice(0, separator);
  const id = decoded.slice(separator + 1);
  if (!GLOBAL_ID_TYPES.has(typename) || id.length === 0) throw invalid();
  // Re-encoding must give the same string, so that one object never has two ids.
  if (Buffer.from(decoded, 'utf8').toString('base64') !== globalID) throw invalid();
  return { typename, id };
}
