/**
 * A small HTTP service embedding a member of a `raftkit/kv` cluster: `PUT /kv/<key>` writes the
 * request body, `GET /kv/<key>` reads it (linearizably, from any member), `DELETE /kv/<key>`
 * removes it. Run: `npx tsx examples/kv-service.ts`.
 *
 * In production each service instance runs on its own machine with one member; here three
 * run in one process (classic-level in a temp folder, TCP and HTTP on free loopback ports),
 * and the program writes through one instance and reads through another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStorage, Replica, TcpTransport } from 'raftkit';
import { KvClient, KvStateMachine } from 'raftkit/kv';

/** Serves `client`'s keys over HTTP on a free loopback port. */
async function serve(client: KvClient): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/kv\//, ''));
    const reply = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const handle = async (): Promise<void> => {
      if (req.method === 'GET') {
        const { kvs, header } = await client.range(key);
        if (kvs.length === 0) return reply(404, { key, revision: header.revision });
        return reply(200, { key, value: new TextDecoder().decode(kvs[0]!.value), version: kvs[0]!.version, revision: header.revision });
      }
      if (req.method === 'PUT') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const { header } = await client.put(key, Buffer.concat(chunks));
        return reply(200, { key, revision: header.revision });
      }
      if (req.method === 'DELETE') {
        const { deleted, header } = await client.deleteRange(key);
        return reply(deleted > 0 ? 200 : 404, { key, deleted, revision: header.revision });
      }
      reply(405, { error: 'use GET, PUT or DELETE' });
    };
    // A raftkit error has a stable code (ERR_TIMEOUT, ERR_NOT_LEADER, …): a 503 the caller may retry.
    handle().catch((err: unknown) => reply(503, { error: String(err), code: (err as { code?: string }).code }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` };
}

const dir = mkdtempSync(join(tmpdir(), 'raftkit-kv-service-'));
const ids = [1, 2, 3];
const transports = ids.map((id) => new TcpTransport({ id, port: 0 }));
await Promise.all(transports.map((t) => t.start()));
const peers = transports.map((t) => ({ id: t.id, address: t.address! }));
const services = await Promise.all(
  ids.map(async (id, i) => {
    const storage = await LevelStorage.open({ path: join(dir, `member-${id}`) });
    // The KV keeps its MVCC data in the member's own database, next to the Raft log.
    const replica = await Replica.start({ id, peers, storage, transport: transports[i]!, stateMachine: new KvStateMachine({ storage }) });
    return { replica, ...(await serve(new KvClient(replica))) };
  }),
);
try {
  const put = await fetch(`${services[0]!.url}/kv/greeting`, { method: 'PUT', body: 'hello from member 1' });
  console.log(`PUT  ${services[0]!.url}/kv/greeting -> ${put.status} ${await put.text()}`);
  const get = await fetch(`${services[2]!.url}/kv/greeting`);
  const body = (await get.json()) as { value?: string };
  console.log(`GET  ${services[2]!.url}/kv/greeting -> ${get.status} ${JSON.stringify(body)}`);
  if (body.value !== 'hello from member 1') throw new Error('member 3 did not read the write');
  const del = await fetch(`${services[1]!.url}/kv/greeting`, { method: 'DELETE' });
  console.log(`DELETE via member 2 -> ${del.status}; GET via member 1 -> ${(await fetch(`${services[0]!.url}/kv/greeting`)).status}`);
} finally {
  for (const s of services) s.server.close();
  await Promise.all(services.map((s) => s.replica.stop()));
  rmSync(dir, { recursive: true, force: true });
}
