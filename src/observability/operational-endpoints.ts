// GET /ready and GET /metrics, answered before anything GraphQL runs. Paths are matched exactly
// (yoga's own health and readiness helpers match any URL that ends with the path).
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface OperationalEndpointsOptions {
  readiness: Readiness;
  metrics: GatewayMetrics;
  readyPath?: string;
  metricsPath?: string;
}

export function useOperationalEndpoints(options: OperationalEndpointsOptions): Plugin {
  const readyPath = options.readyPath ?? '/ready';
  const metricsPath = options.metricsPath ?? '/metrics';
  return {
    onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== readyPath && url.pathname !== metricsPath) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (url.pathname === readyPath) {
        const report = options.readiness.report();
        endResponse(
          new fetchAPI.Response(JSON.stringify(report), {
            status: report.ready ? 200 : 503,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          }),
        );
        return;
      }
      return options.metrics.render().then(({ contentType, body }) => {
        endResponse(
          new fetchAPI.Response(body, {
            status: 200,
            headers: { 'content-type': contentType, 'cache-control': 'no-store' },
          }),
        );
      });
    },
  };
}
