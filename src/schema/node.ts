// Relay's `node` and `nodes`, resolved through the same loaders and visibility rules as every
// other entry point, and with the same choice of the cheapest upstream call.
import type { GraphQLResolveInfo } from 'graphql';
import type { GatewayContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { MAX_NODES } from '../security/limits.js';
import { builder, decodeGlobalId } from './builder.js';
// After work-group.js: whichever module loads the schema first (index.ts, or operation-cost.ts
// through this one), types and fields register in the same order, so the printed schema is stable.
import { type CalculationRef, calculationSelection, loadCalculationRef } from './calculation.js';
import { requireScope } from './scope.js';
import { loadSessionRef, type SessionRef, selectsSessionDetails } from './session-ref.js';
import { validateCalculationId, validateSessionId, validateWorkGroup } from './validation.js';
import { loadWorkGroupRef, type WorkGroupRef } from './work-group.js';

function decodeAndValidate(globalId: string): { typename: string; id: string } {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename === 'Session') validateSessionId(decoded.id, 'id');
  else if (decoded.typename === 'Calculation') validateCalculationId(decoded.id, 'id');
  else validateWorkGroup(decoded.id, 'id');
  return decoded;
}

function loadNode(
  context: GatewayContext,
  info: GraphQLResolveInfo,
  decoded: { typename: string; id: string },
): Promise<SessionRef | WorkGroupRef | CalculationRef | null> {
  if (decoded.typename === 'Session') return loadSessionRef(context, decoded.id, selectsSessionDetails(info));
  if (decoded.typename === 'Calculation') return loadCalculationRef(context, decoded.id, calculationSelection(info));
  return loadWorkGroupRef(context, decoded.id, info);
}

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    description: 'Fetches a session, work group or calculation by its global id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      return loadNode(context, info, decodeAndValidate(String(args.id))) as never;
    },
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `Fetches sessions, work groups and calculations by their global ids (at most ${MAX_NODES}), in order; null for each one that does not exist.`,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, args, context, info) => {
      requireScope(context, 'sessions:read');
      if (args.ids.length > MAX_NODES) throw new BadUserInputError(`nodes takes at most ${MAX_NODES} ids.`, 'ids');
      // Every id is checked before the first upstream call.
      const decoded = args.ids.map((id) => decodeAndValidate(String(id)));
      return decoded.map((id) => loadNode(context, info, id)) as never;
    },
  }),
}));
