// Rules for every subscription, whatever its field (sessionStatus, calculationStatus...) and
// whatever its transport (SSE, or graphql-ws, which runs through the same yoga pipeline):
// - a caller (the token's subject) holds at most MAX_SUBSCRIPTIONS_PER_SUBJECT streams at once in
//   this process, so that one token cannot fill the heap (each open stream costs memory; see
//   docs/security.md for the measurement);
// - a stream ends when its token stops being valid (exp plus the verifier's clock tolerance), with
//   an UNAUTHENTICATED error event and then the end of the stream, since a token's holder must not
//   keep receiving data that a new request with the same token would be refused.
import { type ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { invalidTokenError } from '../auth/bearer-token.js';
import type { GatewayContext } from '../context.js';
import { ERROR_CODES } from '../errors.js';
import { MAX_SUBSCRIPTIONS_PER_SUBJECT } from '../security/limits.js';

/** Callers without a subject (auth off, or tokens without `sub`) share one count. */
const NO_SUBJECT = '(no subject)';

export interface SubscriptionGuardOptions {
  maxPerSubject?: number | undefined;
}

export function tooManySubscriptionsError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.TOO_MANY_SUBSCRIPTIONS } });
}

export function useSubscriptionGuards(options: SubscriptionGuardOptions = {}): Plugin {
  const maxPerSubject = options.maxPerSubject ?? MAX_SUBSCRIPTIONS_PER_SUBJECT;
  const open = new Map<string, number>();

  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const viewer = (args.contextValue as Partial<GatewayContext>).viewer;
      if (viewer === undefined) return;
      const subject = viewer.subject ?? NO_SUBJECT;
      const count = open.get(subject) ?? 0;
      if (count >= maxPerSubject) {
        setResultAndStopExecution({
          errors: [
            tooManySubscriptionsError(
              `At most ${maxPerSubject} subscriptions may be open at once for one caller: end some first.`,
            ),
          ],
        });
        return;
      }
      open.set(subject, count + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (open.get(subject) ?? 1) - 1;
        if (left <= 0) open.delete(subject);
        else open.set(subject, left);
      };
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            release();
            return;
          }
          setResult(guarded(result, viewer.expiresAt, release));
        },
        onSubscribeError: release,
      };
    },
  };
}

/**
 * The stream, ended with an UNAUTHENTICATED error event at `expiresAt`, even while it waits for
 * its next event; `onEnd` runs once however it ends. `return` goes straight to the source, so a
 * client leaving a quiet subscription frees it at once.
 */
function guarded(
  source: AsyncIterable<ExecutionResult>,
  expiresAt: Date | undefined,
  onEnd: () => void,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expiry: Promise<'expired'> | undefined;
  if (expiresAt !== undefined) {
    const remainingMs = expiresAt.getTime() - Date.now();
    expiry = new Promise((resolve) => {
      // setTimeout holds at most 2^31-1 ms (~24 days); a token that outlives that is not ended by time.
      if (remainingMs < 2 ** 31) timer = setTimeout(() => resolve('expired'), Math.max(0, remainingMs));
    });
  }
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    onEnd();
  };
  const finished = async (): Promise<IteratorResult<ExecutionResult>> => {
    end();
    await iterator.return?.();
    return { done: true, value: undefined };
  };

  return {
    async next() {
      if (expired || ended) return finished();
      try {
        const step = expiry === undefined ? await iterator.next() : await Promise.race([iterator.next(), expiry]);
        if (step === 'expired') {
          expired = true;
          // The pending `next` of the source is abandoned; `return` tells it to stop.
          void iterator.return?.();
          end();
          return { done: false, value: { errors: [invalidTokenError('the token has expired')] } };
        }
        if (step.done === true) end();
        return step;
      } catch (error) {
        end();
        throw error;
      }
    },
    return: finished,
    async throw(error?: unknown) {
      end();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
