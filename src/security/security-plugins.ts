// The request-hardening plugins in the order they must run: cross-site refusal and
// authentication before the body is read, then introspection, limits and message hygiene.
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';
import type { GatewayConfig } from '../config.js';
import { useVaryOnOrigin } from './cors.js';
import { useCsrfPrevention } from './csrf.js';
import { useErrorCodes } from './error-codes.js';
import { useHideSuggestions } from './hide-suggestions.js';
import { useOperationLimits } from './operation-limits.js';
import { useRequestParsingErrors } from './request-parsing.js';

export function securityPlugins(config: GatewayConfig, authentication?: Plugin | undefined): Plugin[] {
  const plugins: Plugin[] = [useCsrfPrevention()];
  if (authentication !== undefined) plugins.push(authentication);
  plugins.push(useVaryOnOrigin(), useRequestParsingErrors());
  if (!config.introspection) plugins.push(useDisableIntrospection(), useHideSuggestions());
  plugins.push(useOperationLimits(), useErrorCodes());
  return plugins;
}
