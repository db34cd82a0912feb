/**
 * Layer timing for the etcd benchmark (run by hand: `node --import tsx bench/grpc-floor.ts`):
 * the same etcd3 client and load (Range, 16 in flight) against (a) a bare grpc-js server with
 * etcd's protos answering a fixed RangeResponse, (b) the same answer from a minimal unary gRPC
 * server written directly on node:http2 (what a hand-written path could save over grpc-js), (c) a
 * one-member `raftkit` process, also (d) with the :authority etcdctl --cluster sends (its connection
 * rewritten at EtcdServer's door); prints ops/s and the server process's CPU per request, then the
 * latency and CPU per request with one in flight. `BENCH_CELLS=bare,lean` runs only the cells whose
 * names contain one of the words; `BENCH_CELL_MS` sets the length of a cell (default 3000).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as http2 from 'node:http2';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { etcdServices } from '../src/etcd/proto.js';
import { freePort } from '../examples/kv-cluster/driver.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROF = process.env['BENCH_CPU_PROF'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-interval=200', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`];
const MS = Number(process.env['BENCH_CELL_MS'] ?? 3000);

function cpu(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

if (process.argv[2] === 'serve') {
  const port = Number(process.argv[3]);
  const server = new Server();
  const kv = etcdServices().KV;
  const header = { clusterId: '1', memberId: '2', revision: '3', raftTerm: '4' };
  const value = Buffer.from('v'.repeat(256));
  server.addService(kv, {
    Range: (call: { request: { key: Buffer } }, cb: (e: null, r: unknown) => void) => {
      cb(null, { header, kvs: [{ key: call.request.key, value, createRevision: '1', modRevision: '1', version: '1', lease: '0' }], more: false, count: '1' });
    },
  });
  server.bindAsync(`127.0.0.1:${String(port)}`, ServerCredentials.createInsecure(), () => undefined);
  process.once('SIGTERM', () => process.exit(0)); // exits normally, so that --cpu-prof writes its profile
} else if (process.argv[2] === 'lean') {
  // The same fixed answer from a unary gRPC server written directly on node:http2 (no grpc-js).
  const port = Number(process.argv[3]);
  const range = etcdServices().KV['Range']!;
  const header = { clusterId: '1', memberId: '2', revision: '3', raftTerm: '4' };
  const value = Buffer.from('v'.repeat(256));
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    if (headers[':path'] !== '/etcdserverpb.KV/Range') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unimplemented' }, { endStream: true });
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const req = range.requestDeserialize(buf.subarray(5)) as { key: Buffer };
      const body = range.responseSerialize({ header, kvs: [{ key: req.key, value, createRevision: '1', modRevision: '1', version: '1', lease: '0' }], more: false, count: '1' });
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
      stream.end(frame);
    });
  });
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
} else {
  const member = (port: number, dir: string): ReturnType<typeof spawn> => spawn(process.execPath, [...PROF, '--import', 'tsx', join(root, 'src/etcd/cli/main.ts'), '--name', 'f1', '--data-dir', join(dir, 'f1'),
    '--listen-client-urls', `http://127.0.0.1:${String(port)}`, '--advertise-client-urls', `http://127.0.0.1:${String(port)}`, '--log-level', 'error',
    '--listen-peer-urls', `http://127.0.0.1:${String(port + 1)}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${String(port + 1)}`,
    '--initial-cluster', `f1=http://127.0.0.1:${String(port + 1)}`], { cwd: root, stdio: 'ignore' });
  const cells: { name: string; start(port: number, dir: string): ReturnType<typeof spawn>; authority?: (port: number) => string }[] = [
    { name: 'bare grpc-js Range (fixed answer)', start: (port) => spawn(process.execPath, [...PROF, '--import', 'tsx', fileURLToPath(import.meta.url), 'serve', String(port)], { cwd: root, stdio: 'ignore' }) },
    { name: 'lean node:http2 Range (fixed answer)', start: (port) => spawn(process.execPath, [...PROF, '--import', 'tsx', fileURLToPath(import.meta.url), 'lean', String(port)], { cwd: root, stdio: 'ignore' }) },
    { name: 'raftkit, one member, serializable Range', start: member },
    // The :authority etcdctl 3.4 sends for --cluster calls: the connection goes through the HPACK rewriter.
    { name: 'same, :authority with a scheme (rewritten)', start: member, authority: (port) => `http://127.0.0.1:${String(port)}` },
  ];
  // BENCH_CELLS=bare,lean runs only the cells whose names contain one of the words.
  const only = process.env['BENCH_CELLS']?.split(',');
  for (const c of cells.filter((x) => only === undefined || only.some((w) => x.name.includes(w)))) {
    const dir = mkdtempSync(join(tmpdir(), 'grpc-floor-'));
    const port = await freePort();
    const p = c.start(port, dir);
    const client = new Etcd3({ hosts: `127.0.0.1:${String(port)}`, ...(c.authority === undefined ? {} : { grpcOptions: { 'grpc.default_authority': c.authority(port) } }) });
    for (let i = 0; ; i++) {
      try {
        await client.kv.range({ key: Buffer.from('k'), serializable: true });
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (let i = 0; i < 200; i++) await client.kv.range({ key: Buffer.from('k'), serializable: true });
    const c0 = cpu(p.pid!);
    const end = performance.now() + MS;
    let n = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < end) {
        await client.kv.range({ key: Buffer.from(`b/${String(n % 1000)}`), serializable: true });
        n++;
      }
    }));
    const used = cpu(p.pid!) - c0;
    // One in flight: the latency of a call (client start -> answer), median and p99.
    const lat: number[] = [];
    const c1 = cpu(p.pid!);
    const end1 = performance.now() + MS / 2;
    while (performance.now() < end1) {
      const t = performance.now();
      await client.kv.range({ key: Buffer.from(`b/${String(lat.length % 1000)}`), serializable: true });
      lat.push(performance.now() - t);
    }
    const used1 = cpu(p.pid!) - c1;
    lat.sort((a, b) => a - b);
    const q = (f: number): string => lat[Math.floor(f * (lat.length - 1))]!.toFixed(3);
    console.log(`${c.name.padEnd(42)} ${(n / (MS / 1000)).toFixed(0).padStart(6)}/s  server cpu ${((1000 * used) / n).toFixed(3)} ms/op  1-in-flight p50 ${q(0.5)} p99 ${q(0.99)} ms, server cpu ${((1000 * used1) / lat.length).toFixed(3)} ms/op`);
    client.close();
    await new Promise((r) => {
      p.once('exit', r);
      p.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  }
}
