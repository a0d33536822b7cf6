// Depth, alias, directive and token limits (graphql-armor) and the cost limit (operation-cost.ts).
// A rejection stops parsing or validation at once and answers HTTP 400 with a code of its own,
// whatever the Accept header, so a client can tell "too big" from "wrong".
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type ASTVisitor, GraphQLError, Kind, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';
import { MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_DIRECTIVES, MAX_INTROSPECTION_DEPTH, MAX_TOKENS } from './limits.js';
import { costLimitRule } from './operation-cost.js';

type ArmorConfig = NonNullable<Parameters<typeof EnvelopArmorPlugin>[0]>;
type RejectCallback = NonNullable<NonNullable<ArmorConfig['maxDepth']>['onReject']>[number];

const LIMIT_CODE_LIST = [
  ERROR_CODES.MAX_TOKENS_EXCEEDED,
  ERROR_CODES.MAX_DEPTH_EXCEEDED,
  ERROR_CODES.MAX_ALIASES_EXCEEDED,
  ERROR_CODES.MAX_DIRECTIVES_EXCEEDED,
  ERROR_CODES.COST_LIMIT_EXCEEDED,
] as const;
export type LimitCode = (typeof LIMIT_CODE_LIST)[number];
const LIMIT_CODES: ReadonlySet<string> = new Set<LimitCode>(LIMIT_CODE_LIST);

export function limitExceeded(code: LimitCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/**
 * yoga marks every parse failure as a GraphQL-over-HTTP "spec" error, which it answers 200 under
 * `Accept: application/json`; a limit is not a client's parse error but the server's refusal, so
 * it is answered 400 under every Accept.
 */
function asRefusal(error: GraphQLError): GraphQLError {
  if (!LIMIT_CODES.has(String(error.extensions.code))) return error;
  return limitExceeded(error.extensions.code as LimitCode, error.message);
}

/**
 * graphql-armor reports through `onReject`; throwing there ends the parse or the validation pass
 * with this one error (the default would go on collecting every other rule's errors, which is
 * the work a bomb is designed to cause). armor prefixes its messages with "Syntax Error: ",
 * which they are not.
 */
const rejectWith =
  (code: LimitCode): RejectCallback =>
  (_context, error) => {
    throw limitExceeded(code, error.message.replace(/^Syntax Error: /, ''));
  };

export function useOperationLimits(): Plugin {
  const reject = { propagateOnRejection: false, exposeLimits: true };
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        EnvelopArmorPlugin({
          maxTokens: { n: MAX_TOKENS, ...reject, onReject: [rejectWith(ERROR_CODES.MAX_TOKENS_EXCEEDED)] },
          // Fragments add no depth: depth is about the response's shape, not how a client files its fragments.
          // armor exempts paths through `__schema`; introspectionDepthRule below bounds them.
          maxDepth: {
            n: MAX_DEPTH,
            flattenFragments: true,
            ignoreIntrospection: true,
            ...reject,
            onReject: [rejectWith(ERROR_CODES.MAX_DEPTH_EXCEEDED)],
          },
          // The default allow-list exempts `__typename`, the field alias-overloading attacks use.
          maxAliases: {
            n: MAX_ALIASES,
            allowList: [],
            ...reject,
            onReject: [rejectWith(ERROR_CODES.MAX_ALIASES_EXCEEDED)],
          },
          maxDirectives: { n: MAX_DIRECTIVES, ...reject, onReject: [rejectWith(ERROR_CODES.MAX_DIRECTIVES_EXCEEDED)] },
          // Replaced by our variable-aware cost rule below; armor's counts literal `first` values only.
          costLimit: { enabled: false },
          // Replaced by hide-suggestions.ts, which also covers enum values and variables.
          blockFieldSuggestion: { enabled: false },
        }),
      );
      addPlugin({
        onExecutionResult({ result, setResult }) {
          if (result === undefined || Symbol.asyncIterator in result || result.errors === undefined) return;
          setResult({
            ...result,
            errors: result.errors.map((error) => (error instanceof GraphQLError ? asRefusal(error) : error)),
          });
        },
        onValidate({ addValidationRule }) {
          addValidationRule(introspectionDepthRule(MAX_INTROSPECTION_DEPTH));
          addValidationRule(
            costLimitRule(MAX_COST, (cost) =>
              limitExceeded(
                ERROR_CODES.COST_LIMIT_EXCEEDED,
                `Operation cost limit of ${MAX_COST} exceeded, found ${Math.ceil(cost)}: ask for fewer sessions (first), fewer ids, or split the operation.`,
              ),
            ),
          );
        },
      });
    },
  };
}

/**
 * The whole operation's depth, counted as armor counts it (fields only, fragments flattened),
 * against the introspection allowance. Every path that does not go through `__schema` is already
 * held to MAX_DEPTH by armor, so only introspection can come near this bound.
 */
export function introspectionDepthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentDepths = new Map<string, number>();
    const depthOf = (selectionSet: SelectionSetNode | undefined, visiting: Set<string>): number => {
      let deepest = 0;
      for (const selection of selectionSet?.selections ?? []) {
        if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, visiting));
        else if (selection.kind === Kind.INLINE_FRAGMENT)
          deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
        else {
          const name = selection.name.value;
          // A cycle is another rule's error; here it adds nothing.
          if (visiting.has(name)) continue;
          let depth = fragmentDepths.get(name);
          if (depth === undefined) {
            visiting.add(name);
            depth = depthOf(context.getFragment(name)?.selectionSet, visiting);
            visiting.delete(name);
            fragmentDepths.set(name, depth);
          }
          deepest = Math.max(deepest, depth);
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth > maxDepth)
          throw limitExceeded(
            ERROR_CODES.MAX_DEPTH_EXCEEDED,
            `Query depth limit of ${maxDepth} exceeded, found ${depth}.`,
          );
      },
    };
  };
}
