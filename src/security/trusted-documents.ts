// Trusted documents (TRUSTED_DOCUMENTS): only the operations a frontend build shipped may run, by
// id. The manifest is the JSON map of id -> document that Relay's `persistConfig` and GraphQL Code
// Generator's `persistedDocuments` emit. Anything else is refused in onParams, before the document
// is parsed, so a hostile operation costs no parsing, validation or upstream call.
//
// Frontends deploy more often than the gateway: the manifest is reloaded when its file changes and
// on SIGHUP (the CLI), without a restart. A manifest that fails to load leaves the previous one in force.
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { ConfigError } from '../config.js';

/** Body fields that carry an id besides Apollo's `extensions.persistedQuery.sha256Hash`. */
export const DOCUMENT_ID_PARAMS = ['doc_id', 'documentId'] as const;

const MAX_ID_LENGTH = 256;

export interface TrustedDocumentsOptions {
  /** Told about each reload, and about a manifest that could not be read (the previous one stays). */
  onReload?: ((outcome: { ok: true; documents: number } | { ok: false; error: Error }) => void) | undefined;
}

export class TrustedDocuments {
  readonly path: string;
  #documents: ReadonlyMap<string, string>;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #onReload: TrustedDocumentsOptions['onReload'];

  /** Reads the manifest now; a missing or malformed one stops start-up with a message naming it. */
  constructor(path: string, options: TrustedDocumentsOptions = {}) {
    this.path = resolve(path);
    this.#onReload = options.onReload;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: cannot read ${this.path} (${(error as Error).message})`);
    }
    this.#documents = parseManifest(text, this.path);
  }

  get size(): number {
    return this.#documents.size;
  }

  get(id: string): string | undefined {
    return this.#documents.get(id);
  }

  /** Reads the file again; on failure the documents in force stay. */
  async reload(): Promise<void> {
    try {
      this.#documents = parseManifest(await readFile(this.path, 'utf8'), this.path);
      this.#onReload?.({ ok: true, documents: this.#documents.size });
    } catch (error) {
      this.#onReload?.({ ok: false, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /**
   * Reloads when the file changes. The directory is watched, not the file: deploy tools and editors
   * replace a file by renaming a new one over it, which a watch on the old file never sees.
   */
  watch(debounceMs = 100): void {
    if (this.#watcher !== undefined) return;
    const name = basename(this.path);
    this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => void this.reload(), debounceMs);
    });
  }

  close(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  plugin(): Plugin {
    return usePersistedOperations({
      getPersistedOperation: (id) => this.get(id) ?? null,
      extractPersistedOperationId: documentIdOf,
      // Clear messages with the standard codes; and not Apollo's "PersistedQueryNotFound", which
      // would make Apollo's persisted-queries link retry with the full text, refused again.
      customErrors: {
        notFound: {
          message: "This operation is not among the gateway's trusted documents.",
          extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
        },
        keyNotFound: {
          message: 'This gateway runs trusted documents only: send the document id, not its text.',
          extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' },
        },
        persistedQueryOnly: {
          message: 'This gateway runs trusted documents only: send the document id, not its text.',
          extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' },
        },
      },
    }) as Plugin;
  }
}

/** Apollo's `extensions.persistedQuery.sha256Hash`, Relay's `doc_id`, or the `documentId` of the GraphQL-over-HTTP draft. */
function documentIdOf(graphqlParams: GraphQLParams): string | null {
  const params = graphqlParams as GraphQLParams & Record<string, unknown>;
  const persistedQuery = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  for (const candidate of [persistedQuery?.sha256Hash, ...DOCUMENT_ID_PARAMS.map((name) => params[name])]) {
    if (typeof candidate === 'string' && candidate.length > 0 && candidate.length <= MAX_ID_LENGTH) return candidate;
  }
  return null;
}

function parseManifest(text: string, path: string): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`TRUSTED_DOCUMENTS: ${path} is not JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`TRUSTED_DOCUMENTS: ${path} must be a JSON object of document id -> document text`);
  }
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(parsed)) {
    if (typeof document !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new ConfigError(
        `TRUSTED_DOCUMENTS: ${path}: entry ${JSON.stringify(id.slice(0, 80))} must map an id to a document string`,
      );
    }
    documents.set(id, document);
  }
  return documents;
}
