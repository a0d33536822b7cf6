// GraphiQL's assets as separate, compressed, immutable files, still from the npm package and still
// offline. @graphql-yoga/render-graphiql inlines them all into one 8.3 MB page that is sent again on
// every load; here the page is a few kilobytes and the browser keeps the assets (names carry a
// content hash, so they are cached for a year and a new package version gets new names).
//
// The assets are read and compressed in a worker thread on the first GraphiQL request: the 9 MB
// of source strings live and die in the worker's heap, and this process keeps only the compressed
// bytes (about 2 MB, gzip and brotli).
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** Under the GraphQL path, so a proxy that forwards /graphql forwards the assets too. */
export const GRAPHIQL_ASSETS_PATH = '/graphql/assets/';

const ASSETS = {
  js: { file: 'graphiql', type: 'text/javascript; charset=utf-8', extension: 'js' },
  css: { file: 'graphiql', type: 'text/css; charset=utf-8', extension: 'css' },
  editorWorkerService: { file: 'editor.worker', type: 'text/javascript; charset=utf-8', extension: 'js' },
  jsonWorker: { file: 'json.worker', type: 'text/javascript; charset=utf-8', extension: 'js' },
  graphqlWorker: { file: 'graphql.worker', type: 'text/javascript; charset=utf-8', extension: 'js' },
  favicon: { file: 'favicon', type: 'image/x-icon', extension: 'ico' },
} as const;
type AssetName = keyof typeof ASSETS;

interface CompressedAsset {
  hash: string;
  gzip: Uint8Array;
  br: Uint8Array;
}

interface Asset extends CompressedAsset {
  path: string;
  type: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

// Plain JavaScript for the worker (eval), so it runs the same under tsx and compiled.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
import(workerData.moduleUrl).then((assets) => {
  const out = {};
  for (const name of workerData.names) {
    const value = assets[name];
    const raw = name === 'favicon' ? Buffer.from(value.slice(value.indexOf(',') + 1), 'base64') : Buffer.from(value, 'utf8');
    out[name] = {
      hash: createHash('sha256').update(raw).digest('hex').slice(0, 16),
      gzip: zlib.gzipSync(raw, { level: 9 }),
      br: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 6, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    };
  }
  parentPort.postMessage(out);
});
`;

async function compressInWorker(): Promise<Record<AssetName, CompressedAsset>> {
  const moduleUrl = import.meta.resolve('@graphql-yoga/render-graphiql/graphiql');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl, names: Object.keys(ASSETS) } });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`GraphiQL asset worker exited with ${code}`)));
    });
  } finally {
    void worker.terminate();
  }
}

export class GraphiQLAssets {
  #assets: Promise<Record<AssetName, Asset>> | undefined;

  /** Loads on first use; a failed load is retried by the next request. */
  #load(): Promise<Record<AssetName, Asset>> {
    this.#assets ??= compressInWorker().then(
      (compressed) =>
        Object.fromEntries(
          (Object.keys(ASSETS) as AssetName[]).map((name) => {
            const { file, type, extension } = ASSETS[name];
            return [name, { ...compressed[name], type, path: `${GRAPHIQL_ASSETS_PATH}${file}-${compressed[name].hash}.${extension}` }];
          }),
        ) as Record<AssetName, Asset>,
      (error: unknown) => {
        this.#assets = undefined;
        throw error;
      },
    );
    return this.#assets;
  }

  /** The GraphiQL page: yoga's renderYogaGraphiQL over the assets by URL instead of inline. */
  async page(options: GraphiQLOptions | undefined): Promise<string> {
    const assets = await this.#load();
    // `<` escaped, so no option value can close the script element.
    const script = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
    const workers = { editorWorkerService: assets.editorWorkerService.path, json: assets.jsonWorker.path, graphql: assets.graphqlWorker.path };
    return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title ?? 'Yoga GraphiQL')}</title>
    <link rel="icon" href="${assets.favicon.path}" />
    <link rel="stylesheet" href="${assets.css.path}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${script(workers)};
      self['MonacoEnvironment'] = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
    </script>
    <script src="${assets.js.path}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${script(options ?? {})});
    </script>
  </body>
</html>
`;
  }

  /** Serves GET /graphql/assets/<name>-<hash>.<ext>: brotli or gzip as the client accepts, cached for a year. */
  plugin(): Plugin {
    return {
      onRequest: async ({ request, url, endResponse, fetchAPI }) => {
        if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
        // Also after a restart, for a page that an earlier process served: the names depend on the package only.
        const assets = await this.#load().catch(() => undefined);
        const asset = assets && Object.values(assets).find((candidate) => candidate.path === url.pathname);
        if (asset === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
          endResponse(new fetchAPI.Response(null, { status: 404 }));
          return;
        }
        const accepted = request.headers.get('accept-encoding') ?? '';
        const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
        const body = encoding === undefined ? await promisify(gunzip)(asset.gzip) : asset[encoding];
        const headers: Record<string, string> = {
          'content-type': asset.type,
          'content-length': String(body.byteLength),
          'cache-control': IMMUTABLE,
          etag: `"${asset.hash}"`,
          vary: 'accept-encoding',
          'x-content-type-options': 'nosniff',
        };
        if (encoding !== undefined) headers['content-encoding'] = encoding;
        endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers }));
      },
    };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
