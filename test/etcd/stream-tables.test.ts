import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { StreamTables } from '../../src/etcd/http2/stream-tables.js';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/** An HTTP/2 server whose streams go through `tables`; `hold` streams are answered only when released. */
async function serve(tables: StreamTables): Promise<{ client: http2.ClientHttp2Session; session: () => http2.ServerHttp2Session; release: () => void }> {
  const server = http2.createServer();
  let held: http2.ServerHttp2Stream[] = [];
  let holding = false;
  let session: http2.ServerHttp2Session | undefined;
  server.on('stream', (stream, headers) => {
    tables.opened(stream);
    session = stream.session as http2.ServerHttp2Session | undefined;
    const answer = (): void => {
      stream.respond({ ':status': 200 });
      stream.end(headers[':path']);
    };
    if (holding && headers[':path']?.startsWith('/held')) held.push(stream);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  closers.push(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
  });
  holding = true;
  return {
    client,
    session: () => session!,
    release: () => {
      holding = false;
      for (const s of held) {
        s.respond({ ':status': 200 });
        s.end('released');
      }
      held = [];
    },
  };
}

/** The body of a request to `path`. */
function get(client: http2.ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': path });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** The table of open streams where Node keeps it (what StreamTables replaces). */
function streamTable(session: http2.ServerHttp2Session): Map<number, unknown> {
  const key = Object.getOwnPropertySymbols(session).find((k) => k.description === 'state')!;
  return (session as unknown as Record<symbol, { streams: Map<number, unknown> }>)[key]!.streams;
}

test('a session\'s stream table is replaced every `every` streams, and streams open across a move are answered', async () => {
  const tables = new StreamTables(8);
  const { client, session, release } = await serve(tables);
  // 16 streams stay open while 40 more come and go: the table moves five times under them.
  const held = Array.from({ length: 16 }, (_, i) => get(client, `/held/${i}`));
  const first = await get(client, '/0');
  expect(first).toBe('/0');
  const table = streamTable(session());
  for (let i = 1; i < 40; i++) expect(await get(client, `/${i}`)).toBe(`/${i}`);
  expect(tables.supported).toBe(true);
  expect(tables.renewals).toBe(56 / 8);
  const now = streamTable(session());
  expect(now).not.toBe(table);
  // The held streams are in the new table, and are answered through it.
  expect(now.size).toBe(16);
  release();
  expect(await Promise.all(held)).toEqual(Array.from({ length: 16 }, () => 'released'));
  expect(streamTable(session()).size).toBe(0);
});

test('a session without Node\'s stream table is left alone, and the tables say so', () => {
  const tables = new StreamTables(2);
  const session = { destroyed: false };
  for (let i = 0; i < 5; i++) tables.opened({ session, id: 2 * i + 1 } as unknown as http2.ServerHttp2Stream);
  expect(tables.supported).toBe(false);
  expect(tables.renewals).toBe(0);
});
