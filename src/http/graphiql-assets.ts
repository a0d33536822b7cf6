// GraphiQL's assets as separate, compressed, immutable files, still from the npm package and still
// offline. @graphql-yoga/render-graphiql inlines them all into one 8.3 MB page that is sent again on
// every load; here the page is a few kilobytes and the browser keeps the assets (names carry a
// content hash, so they are cached for a year and a new package version gets new names).
//
// The assets are read and compressed in a short-lived child process on the first GraphiQL request:
// the 9 MB of source strings and the compressors' buffers live and die there, and this process keeps
// only the compressed bytes (about 4.5 MB, gzip and brotli). A worker thread was measured first: its
// heap shares this process's RSS, which then peaked ~80 MB higher and stayed ~35 MB higher
// (freed memory that the allocator keeps).
import { spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
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

// Plain JavaScript for the child (node -e), so it runs the same under tsx and compiled.
const COMPRESSOR_SOURCE = `
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const [moduleUrl, names] = process.argv.slice(1);
import(moduleUrl).then((assets) => {
  const out = {};
  for (const name of names.split(',')) {
    const value = assets[name];
    const raw = name === 'favicon' ? Buffer.from(value.slice(value.indexOf(',') + 1), 'base64') : Buffer.from(value, 'utf8');
    out[name] = {
      hash: createHash('sha256').update(raw).digest('hex').slice(0, 16),
      gzip: zlib.gzipSync(raw, { level: 9 }),
      // A 1 MB window instead of 4 MB: nearly the same size, and a smaller transient peak of memory.
      br: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_LGWIN]: 20 } }),
    };
  }
  process.send(out, () => process.disconnect());
});
`;

async function compressInChild(): Promise<Record<AssetName, CompressedAsset>> {
  const moduleUrl = import.meta.resolve('@graphql-yoga/render-graphiql/graphiql');
  const child = spawn(process.execPath, ['-e', COMPRESSOR_SOURCE, moduleUrl, Object.keys(ASSETS).join(',')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Buffers cross as bytes, not as JSON arrays of numbers.
    serialization: 'advanced',
  });
  try {
    return await new Promise((resolve, reject) => {
      child.once('message', (message) => resolve(message as Record<AssetName, CompressedAsset>));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`GraphiQL asset compressor exited with ${code}`)));
    });
  } finally {
    child.kill();
  }
}

export class GraphiQLAssets {
  #assets: Promise<Record<AssetName, Asset>> | undefined;

  /** Loads on first use; a failed load is retried by the next request. */
  #load(): Promise<Record<AssetName, Asset>> {
    this.#assets ??= compressInChild().then(
      (compressed) =>
        Object.fromEntries(
          (Object.keys(ASSETS) as AssetName[]).map((name) => {
            const { file, type, extension } = ASSETS[name];
            return [
              name,
              {
                ...compressed[name],
                type,
                path: `${GRAPHIQL_ASSETS_PATH}${file}-${compressed[name].hash}.${extension}`,
              },
            ];
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
    const workers = {
      editorWorkerService: assets.editorWorkerService.path,
      json: assets.jsonWorker.path,
      graphql: assets.graphqlWorker.path,
    };
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
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), {
            status: 200,
            headers,
          }),
        );
      },
    };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
