// The ceiling: a bare node:http server that reads each request and answers with bytes fixed in
// advance (the gateway's own answer to the workload), so it measures what this machine, Node's
// HTTP stack and the load generator can do with no GraphQL and no upstream at all.
//
//   PUT /_bare/body   the body to answer every other request with (application/json)
//
// Environment: PORT (default 0). Prints {"msg":"ready","url":...}.
import { createServer } from 'node:http';

let body = Buffer.from('{"data":null}');

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'PUT' && request.url === '/_bare/body') {
      body = Buffer.concat(chunks);
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/graphql-response+json; charset=utf-8',
      'content-length': body.length,
    });
    response.end(body);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
