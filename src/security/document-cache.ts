// yoga's parse and validation cache, bounded by entries and by the characters of the documents it
// holds, so that a flood of unique (or huge) queries evicts old entries instead of growing the heap.
// Validation results are kept in a WeakMap keyed by the cached document, so they go with it.
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import {
  DOCUMENT_CACHE_MAX_CHARACTERS,
  DOCUMENT_CACHE_MAX_ENTRIES,
  ERROR_CACHE_MAX_CHARACTERS,
  ERROR_CACHE_MAX_ENTRIES,
} from './limits.js';

export interface DocumentCaches {
  /** Parsed documents by query text. */
  readonly documentCache: LRUCache<string, DocumentNode>;
  /** Parse errors by query text, apart so garbage never evicts real clients' documents. */
  readonly errorCache: LRUCache<string, object>;
}

export interface DocumentCacheLimits {
  maxEntries: number;
  maxCharacters: number;
  maxErrorEntries: number;
  maxErrorCharacters: number;
}

export const DEFAULT_DOCUMENT_CACHE_LIMITS: DocumentCacheLimits = {
  maxEntries: DOCUMENT_CACHE_MAX_ENTRIES,
  maxCharacters: DOCUMENT_CACHE_MAX_CHARACTERS,
  maxErrorEntries: ERROR_CACHE_MAX_ENTRIES,
  maxErrorCharacters: ERROR_CACHE_MAX_CHARACTERS,
};

/** A document's AST is proportional to its text, so the text's length stands for its size. */
const sizeOfKey = (_value: unknown, key: string) => Math.max(1, key.length);

export function createDocumentCaches(limits: DocumentCacheLimits = DEFAULT_DOCUMENT_CACHE_LIMITS): DocumentCaches {
  return {
    documentCache: new LRUCache<string, DocumentNode>({
      max: limits.maxEntries,
      maxSize: limits.maxCharacters,
      sizeCalculation: sizeOfKey,
    }),
    errorCache: new LRUCache<string, object>({
      max: limits.maxErrorEntries,
      maxSize: limits.maxErrorCharacters,
      sizeCalculation: sizeOfKey,
    }),
  };
}
