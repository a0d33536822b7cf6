import { invalidRequest } from './athena-error.js';

/**
 * ClientRequestToken: a retry with the same token and the same parameters answers the resource
 * the first call made; the same token with other parameters is refused (GUESS: the error type;
 * AWS says only "If a parameter has changed, an error is returned").
 */
export class IdempotencyTokens {
  private readonly byToken = new Map<string, { resourceId: string; fingerprint: string }>();

  /** @param operation named in the refusal, e.g. 'StartSession'. */
  constructor(private readonly operation: string) {}

  /** The id the token made before, undefined if it is new; throws when the parameters differ. */
  previous(clientRequestToken: string | undefined, fingerprint: string): string | undefined {
    if (clientRequestToken === undefined) return undefined;
    const previous = this.byToken.get(clientRequestToken);
    if (!previous) return undefined;
    if (previous.fingerprint !== fingerprint) {
      throw invalidRequest(
        `ClientRequestToken ${clientRequestToken} was already used for a ${this.operation} request with different parameters`,
      );
    }
    return previous.resourceId;
  }

  remember(clientRequestToken: string | undefined, fingerprint: string, resourceId: string): void {
    if (clientRequestToken !== undefined) this.byToken.set(clientRequestToken, { resourceId, fingerprint });
  }
}

/** JSON with sorted keys, so that the same parameters in another member order compare equal. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${stableStringify(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
