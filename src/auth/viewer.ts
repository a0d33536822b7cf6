// Who is calling and what they may touch. Auth (JWT) fills it; with auth off it allows everything.

/**
 * `sessions:connect` reads a session's Spark Connect endpoint, whose token runs code in the session:
 * a reader of sessions need not be able to do that, so it is a scope of its own.
 */
export type Scope = 'sessions:read' | 'sessions:write' | 'sessions:connect';

export interface Viewer {
  /** The token's `sub`, for audit lines; undefined when anonymous. */
  readonly subject?: string | undefined;
  readonly scopes: ReadonlySet<string>;
  /** `'*'` for every work group, else the names the caller may touch. */
  readonly workGroups: '*' | ReadonlySet<string>;
  /** When the token stops being accepted (its `exp` plus the clock tolerance); open subscriptions end then. */
  readonly expiresAt?: Date | undefined;
}

export const FULL_ACCESS_VIEWER: Viewer = {
  subject: undefined,
  scopes: new Set<Scope>(['sessions:read', 'sessions:write', 'sessions:connect']),
  workGroups: '*',
};

export function hasScope(viewer: Viewer, scope: Scope): boolean {
  return viewer.scopes.has(scope);
}

export function allowsWorkGroup(viewer: Viewer, workGroup: string | undefined): boolean {
  if (viewer.workGroups === '*') return true;
  return workGroup !== undefined && viewer.workGroups.has(workGroup);
}

/** A caller limited to some work groups must have a session's work group checked before it sees it. */
export function isRestricted(viewer: Viewer): boolean {
  return viewer.workGroups !== '*';
}
