// Turns the verified claims of a token into a Viewer. The claim names and shapes are the
// contract's: `scope` is a space-separated string, `workgroups` an array of names or ["*"],
// `sub` the subject that audit lines name.
import type { JWTPayload } from 'jose';
import { invalidTokenError } from './bearer-token.js';
import { CLOCK_TOLERANCE_SECONDS } from './jwt-verifier.js';
import type { Viewer } from './viewer.js';

/** Work groups are at most 128 characters, so a longer list entry is not a work group name. */
const MAX_WORK_GROUP_NAME = 128;

export function viewerFromClaims(claims: JWTPayload): Viewer {
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    scopes: scopesOf(claims.scope),
    workGroups: workGroupsOf(claims.workgroups),
    // The verifier accepts a token until exp + tolerance, so that is when its subscriptions end.
    expiresAt: typeof claims.exp === 'number' ? new Date((claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000) : undefined,
  };
}

/**
 * A missing `scope` grants nothing (every operation is then FORBIDDEN). Some identity providers
 * issue scopes as an array; that is accepted too, since it cannot be misread.
 */
function scopesOf(claim: unknown): ReadonlySet<string> {
  if (claim === undefined) return new Set();
  if (typeof claim === 'string') return new Set(claim.split(/\s+/).filter((scope) => scope !== ''));
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === 'string')) return new Set(claim as string[]);
  throw invalidTokenError('the scope claim must be a space-separated string');
}

/**
 * A missing `workgroups` claim means no work group: such a caller sees nothing rather than
 * everything, so a token minted without the claim fails closed.
 */
function workGroupsOf(claim: unknown): '*' | ReadonlySet<string> {
  if (claim === undefined) return new Set();
  if (!Array.isArray(claim) || !claim.every((name) => typeof name === 'string' && name.length <= MAX_WORK_GROUP_NAME)) {
    throw invalidTokenError('the workgroups claim must be an array of work group names or ["*"]');
  }
  const names = claim as string[];
  return names.includes('*') ? '*' : new Set(names);
}
