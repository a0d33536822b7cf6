// The baseline: the REST endpoint a team would write instead of a gateway, the obvious way, with
// the same SDK and its default client (keep-alive, 50 sockets). One SDK call per request, a
// Promise.all of GetSession for `?details=1`, the SDK's answers passed through as JSON.
//
//   GET  /sessions?workGroup=&limit=&nextToken=[&details=1]   ListSessions (+ GetSession per session)
//   GET  /sessions/:id                                        GetSession
//   GET  /sessions/:id/status                                 GetSessionStatus
//   POST /sessions/:id/terminate                              TerminateSession
//
// Environment: ATHENA_ENDPOINT (required), PORT (default 0), AWS_REGION. Prints {"msg":"ready","url":...}.
import { createServer, type ServerResponse } from 'node:http';
import {
  AthenaClient,
  GetSessionCommand,
  GetSessionStatusCommand,
  ListSessionsCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-athena';

const endpoint = process.env.ATHENA_ENDPOINT;
if (endpoint === undefined) throw new Error('ATHENA_ENDPOINT is required');
const client = new AthenaClient({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

function send(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

function withoutMetadata<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = output;
  return rest;
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    if (request.method === 'GET' && parts.length === 1 && parts[0] === 'sessions') {
      const workGroup = url.searchParams.get('workGroup') ?? '';
      const limit = Number(url.searchParams.get('limit') ?? '20');
      const output = await client.send(
        new ListSessionsCommand({
          WorkGroup: workGroup,
          MaxResults: limit,
          NextToken: url.searchParams.get('nextToken') ?? undefined,
        }),
      );
      const sessions = output.Sessions ?? [];
      if (url.searchParams.get('details') === '1') {
        const details = await Promise.all(
          sessions.map((session) =>
            client.send(new GetSessionCommand({ SessionId: session.SessionId })).then(withoutMetadata),
          ),
        );
        send(response, 200, { sessions: details, nextToken: output.NextToken });
      } else {
        send(response, 200, { sessions, nextToken: output.NextToken });
      }
      return;
    }
    if (parts[0] === 'sessions' && parts.length >= 2) {
      const sessionId = decodeURIComponent(parts[1]!);
      if (request.method === 'GET' && parts.length === 2) {
        send(response, 200, withoutMetadata(await client.send(new GetSessionCommand({ SessionId: sessionId }))));
        return;
      }
      if (request.method === 'GET' && parts[2] === 'status') {
        send(response, 200, withoutMetadata(await client.send(new GetSessionStatusCommand({ SessionId: sessionId }))));
        return;
      }
      if (request.method === 'POST' && parts[2] === 'terminate') {
        request.resume();
        send(response, 200, withoutMetadata(await client.send(new TerminateSessionCommand({ SessionId: sessionId }))));
        return;
      }
    }
    send(response, 404, { message: 'not found' });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    send(response, name === 'ResourceNotFoundException' ? 404 : name === 'InvalidRequestException' ? 400 : 502, {
      message: name,
    });
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
