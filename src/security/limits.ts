// Every limit the gateway puts on a request, with the reason for its value: the constants below,
// and an index of the few that live elsewhere. The schema is small, so the legitimate
// extremes are known (its one cycle, Session.calculations > Calculation.session, leads back to what a
// client already has); each limit leaves room above them and stops what only an attacker or a
// runaway client sends.
//
// Limits that live elsewhere, and why there:
// - Set by the environment (config.ts): upstream calls in flight and waiting (UPSTREAM_CONCURRENCY,
//   UPSTREAM_QUEUE_LIMIT), per-attempt timeouts and attempts (ATHENA_CONNECT_TIMEOUT_MS,
//   ATHENA_REQUEST_TIMEOUT_MS, ATHENA_MAX_ATTEMPTS, ATHENA_MAX_SOCKETS), the operation deadline
//   (OPERATION_TIMEOUT_MS), the breaker (BREAKER_*), the shutdown grace (SHUTDOWN_GRACE_MS).
// - AWS's model: argument lengths, patterns and ranges (SessionId 1..256, WorkGroup, tokens, DPUs)
//   are checked by schema/validation.ts against src/athena-model/, so the gateway refuses what
//   Athena would.
// - With the format they bound: bearer token length (auth/bearer-token.ts MAX_TOKEN_LENGTH, 8 KiB),
//   global id length (schema/builder.ts, 1 KiB), work group names in a token's claim
//   (auth/claims.ts), client request ids (observability/operation-telemetry.ts CLIENT_REQUEST_ID,
//   128) and logged operation names (there, MAX_LOGGED_NAME_LENGTH, 100), operation names kept as
//   metric labels (observability/metrics.ts maxOperationNames, 200).
// - The JWKS download's timeout, cooldown and maximum age (auth/jwt-verifier.ts JWKS_TIMEOUT_MS 5 s,
//   JWKS_COOLDOWN_MS 30 s, JWKS_MAX_AGE_MS 10 min).
// - With the cache they bound: calculation code kept across requests (athena/caching-port.ts
//   MAX_CACHED_CODE_CHARACTERS, 4,000,000 characters).
// - With the fleet's Redis link: the ceiling of what counts as a slow Redis round trip
//   (fleet/fleet-port.ts MAX_SLOW_REDIS_MS, 1 s) and Redis's command timeout (fleet/redis-link.ts
//   COMMAND_TIMEOUT_MS, 2 s).

/**
 * Largest request body. The largest legitimate requests are a startSession with 100 Spark
 * properties of 255 + 1024 characters (about 130 KB as JSON) and a startCalculation with 68,000
 * characters of code (68 KB of ASCII, 136 KB if every character needs a JSON escape, 204 KB of
 * three-byte UTF-8); 256 KB admits them, and no query needs a tenth of that.
 */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

/**
 * Deepest selection (fields only; fragments do not add depth, so Relay-style fragment nesting is
 * free). The deepest path that does not come back to a type it passed is 11 fields (`workGroups` >
 * edges > node > sessions > edges > node > calculations > edges > node > result > resultType); 12
 * admits it and rejects deep nonsense (such as walking Session.calculations > Calculation.session
 * round and round) before the rest of validation runs.
 */
export const MAX_DEPTH = 12;

/**
 * Aliases per operation, `__typename` aliases included (the alias-overloading probe uses 101 of
 * them). Dashboards alias a few `sessions(workGroup:)` or `session(sessionId:)` lookups; 30 is
 * several times that.
 */
export const MAX_ALIASES = 30;

/**
 * Directives per operation. Clients put @include/@skip on a handful of fields or fragments;
 * directive-overloading probes send 10 duplicates. 8 admits real use and stops the probe.
 */
export const MAX_DIRECTIVES = 8;

/**
 * Lexical tokens per document (comments do not count). A query selecting every field of the
 * schema under one `sessions` connection is about 90 tokens and GraphiQL's introspection query
 * about 180 (operation-limits.test.ts measures both); 1000 leaves ample room and caps the
 * parser's work.
 */
export const MAX_TOKENS = 1000;

/**
 * Worst-case objects an operation may resolve (see operation-cost.ts). A page of 100 sessions
 * with every field is about 1,200; 5,000 admits several such pages in one operation, and rejects
 * fan-out such as 100 work groups by `nodes` each listing 100 sessions with details, which would
 * be 10,000 upstream calls. A router's `_entities` batch counts one per element for what the
 * element's own call answers, so a full batch (MAX_REPRESENTATIONS) with every field is 500.
 */
export const MAX_COST = 5_000;

/** Entries and total characters of parsed documents kept; a flood of unique queries only evicts. */
export const DOCUMENT_CACHE_MAX_ENTRIES = 1_024;
export const DOCUMENT_CACHE_MAX_CHARACTERS = 8 * 1024 * 1024;
/** Parse failures are cached apart, so that garbage never evicts the documents of real clients. */
export const ERROR_CACHE_MAX_ENTRIES = 256;
export const ERROR_CACHE_MAX_CHARACTERS = 2 * 1024 * 1024;

/**
 * Deepest selection of an operation that goes through `__schema`, counted like MAX_DEPTH (which
 * graphql-armor applies to every other path). GraphiQL's introspection query (graphql-js's
 * getIntrospectionQuery with every option) is 15 deep, its TypeRef fragment nesting `ofType`
 * seven times under `__schema > types > fields > type`; operation-limits.test.ts measures it. 20
 * admits it and tools that nest `ofType` a few levels more, and refuses `ofType` chains 30 deep.
 */
export const MAX_INTROSPECTION_DEPTH = 20;

/**
 * Operations running at once on one WebSocket (every graphql-ws operation is a Subscribe
 * message; queries end at once, so in practice these are subscriptions). A dashboard watches a
 * page of sessions: 100 is a full page. More closes the socket with 4429.
 */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

/**
 * Subscriptions open at once for one caller (the token's `sub`; callers without one share a
 * count) in one process, over every transport. Several tabs each watching a full page fit;
 * an open subscription costs tens of KB of heap (docs/security.md has the measurement), so
 * 500 bounds one token's share to tens of MB. More is a TOO_MANY_SUBSCRIPTIONS error.
 */
export const MAX_SUBSCRIPTIONS_PER_SUBJECT = 500;

/**
 * HTTP server timeouts (defaults of HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS,
 * HTTP_IDLE_TIMEOUT_MS). Node's own allow 300 s for a request, so a client trickling its body a
 * byte at a time holds a socket for minutes. The largest request (256 KB) arrives in well under
 * a second on any real link; 10 s for the whole request and 5 s for its headers leave room for
 * slow mobile clients. A keep-alive connection with no request in flight closes after 5 s, as
 * Node's default: long enough to be reused by a client's next request. Streams (SSE) are
 * responses, which these do not bound.
 */
export const HTTP_HEADERS_TIMEOUT_MS = 5_000;
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;
export const HTTP_IDLE_TIMEOUT_MS = 5_000;

// Fan-out: each element of these lists can cost an upstream call.

/** Sessions per connection page when `first` is absent. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `first`: one full upstream page (ListSessions' MaxResults is at most 100). */
export const MAX_PAGE_SIZE = 100;
/** Ids per `nodes` call: each may cost an upstream call, so a list (often a variable) must be bounded. */
export const MAX_NODES = 100;
/**
 * Representations per `_entities` call. A router sends every reference of one subgraph fetch in one
 * call (deduplicated), so the cap is well above what a page of parents holds, yet bounds the
 * fan-out a direct caller can ask for.
 */
export const MAX_REPRESENTATIONS = 500;
/**
 * Work groups one `allSessions` merges: each costs a ListSessions on the first page, and each
 * carries its position in the cursor.
 */
export const MAX_MERGED_WORK_GROUPS = 20;
/** Spark properties per startSession; the request body limit above is sized for this many at their longest. */
export const MAX_SPARK_PROPERTIES = 100;

// Upstream work and memory per process.

/** GetSession calls one request runs at once (a page of 100 with details); the rest wait their turn. */
export const MAX_CONCURRENT_DETAIL_CALLS_PER_REQUEST = 16;
/**
 * Entries of the cross-request caches. Heap at these bounds, measured with demo sessions: ~9 MB
 * for 5,000 sessions (details, statuses and immutable fields; up to ~15 MB when the three come from
 * different calls) and ~15 MB for 200 full list pages.
 */
export const MAX_CACHED_SESSIONS = 5_000;
export const MAX_CACHED_PAGES = 200;
/**
 * Every ListSessions and ListCalculationExecutions the gateway makes asks for the upstream maximum
 * (MaxResults 1..100), so a position inside an upstream page is stable between requests.
 */
export const UPSTREAM_PAGE_SIZE = 100;
/** ListWorkGroups pages are always the upstream maximum (MaxResults 1..50) too, for the same reason. */
export const WORK_GROUP_PAGE_SIZE = 50;

// Cursors and upstream text: anything longer is not ours, or not worth passing on whole.

/** A `sessions` or `calculations` cursor: an upstream NextToken (at most 2048) plus our framing, generously. */
export const MAX_CURSOR_LENGTH = 4096;
/** A `workGroups` cursor: a NextToken (at most 1024) plus a name and the framing, generously. */
export const MAX_WORK_GROUP_CURSOR_LENGTH = 2048;
/** An `allSessions` cursor. Per work group: a NextToken (at most 2048), a name (128), a session id (256) and framing. */
export const MAX_ALL_SESSIONS_CURSOR_LENGTH = MAX_MERGED_WORK_GROUPS * 3_200;
/** Athena's reasons are short sentences; a longer one is clipped rather than passed on whole. */
export const MAX_REASON_LENGTH = 1024;

/** A subscriber that reads slower than statuses change keeps the latest ones, in order; memory stays bounded. */
export const EVENTS_BUFFERED_PER_SUBSCRIBER = 16;
