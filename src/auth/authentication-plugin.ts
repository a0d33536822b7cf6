// Authenticates a request before its body is read or its query parsed, so an anonymous caller
// cannot make the gateway parse, validate or plan anything, and remembers the viewer for the
// context factory, so the token is verified once per request.
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from './viewer.js';

export type ViewerFor = (request: Request) => Viewer | Promise<Viewer>;

export interface Authentication {
  plugin: Plugin;
  /** The request's viewer: the one found while parsing, or found now (transports that skip parsing). */
  viewerOf(request: Request): Promise<Viewer>;
}

export function createAuthentication(viewerFor: ViewerFor): Authentication {
  const viewers = new WeakMap<Request, Promise<Viewer>>();
  const viewerOf = (request: Request): Promise<Viewer> => {
    let viewer = viewers.get(request);
    if (viewer === undefined) {
      viewer = Promise.resolve().then(() => viewerFor(request));
      viewers.set(request, viewer);
    }
    return viewer;
  };
  return {
    viewerOf,
    plugin: {
      // A rejection here (UNAUTHENTICATED, AUTH_UNAVAILABLE) becomes the response, with its HTTP status.
      async onRequestParse({ request }) {
        await viewerOf(request);
      },
    },
  };
}
