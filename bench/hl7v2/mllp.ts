/**
 * MLLP round trips on loopback (127.0.0.1), counted as acknowledged messages per second, with
 * per-message latency percentiles and memory. Every ACK is checked by the sender: it must be
 * AA and acknowledge the control id (MSA-2) of the message it answers.
 *
 *   A. transport + codec: our MLLP listener whose handler parses the message and builds an AA
 *      ACK with our codec (no database).
 *      A1 sequential: our createMllpClient, one message in flight, one connection;
 *      A2 pipelined: one raw net.Socket writing frames back to back (a window of outstanding
 *         messages), counting the ACKs the listener returns in order;
 *      A3 peers, same message, same sequential loop: node-hl7-client's Client against our
 *         listener (node-hl7-client has no server), simple-hl7's TCP server against our
 *         client, and simple-hl7's client + server pair.
 *   B. full platform (startApp): MLLP listener → HL7 inbox (raw message stored, deduplicated
 *      by control id) → PAM inbound handler (identity created or updated, audited, PAM feed
 *      outbox for the configured subscribers: none here), PAM FR A28 then A31 for a new IPP
 *      every two messages, sequential then pipelined on one connection; PGlite by default,
 *      PostgreSQL when BENCH_DATABASE_URL is set (the database `passerelle_bench` is created
 *      there and dropped afterwards).
 *
 * Sender and listener run in this one Node.js process, so both share one JavaScript thread:
 * the figures are for both ends of the connection together.
 *
 *   npx tsx bench/hl7v2/mllp.ts [transport | platform]
 *   BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/test npx tsx bench/hl7v2/mllp.ts
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { Client as NodeHl7Client, Message as NodeHl7Message } from 'node-hl7-client';
import { buildA28, buildA31, buildAck, parse, readAck, serialize, type PamHeader, type PamPatient } from '../../src/formats/hl7v2/index.ts';
import { MllpDecoder, createMllpClient, createMllpServer, encodeMllpFrame, type MllpServer } from '../../src/platform/mllp/index.ts';
import { fixturesDir } from '../../test/support/fixtures.ts';
import { withBenchPlatform, type DatabaseKind } from '../support/platform.ts';
import { fmt, memoryPeaks, memorySnapshot, mib, summarizeLatencies, type LatencySummary } from '../support/stats.ts';

const HOST = '127.0.0.1';

/** Bounds of each run: whichever comes first, message count or time. */
interface Limits {
  warmup: number;
  messages: number;
  seconds: number;
}

const TRANSPORT: Limits = { warmup: 1_000, messages: 20_000, seconds: 6 };
const PEERS: Limits = { warmup: 500, messages: 20_000, seconds: 4 };
const PIPELINE: Limits & { window: number } = { warmup: 2_000, messages: 60_000, seconds: 6, window: 64 };
const PLATFORM: Limits = { warmup: 50, messages: 2_000, seconds: 15 };
const PLATFORM_PIPELINE: Limits & { window: number } = { warmup: 50, messages: 2_000, seconds: 10, window: 64 };

/** Builds the text of the n-th message with the given MSH-10. */
type MessageFactory = (controlId: string) => string;

interface RunResult {
  label: string;
  acked: number;
  seconds: number;
  latency: LatencySummary;
  rssDelta: number;
  heapDelta: number;
  peakRss: number;
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// ACK checks (each sender checks with its own library)

class AckMismatch extends Error {}

function checkOurAck(ack: string, controlId: string): void {
  const parsed = parse(ack);
  if (!parsed.ok) throw new AckMismatch(`ACK unreadable: ${parsed.error.field}: ${parsed.error.rule}`);
  const read = readAck(parsed.value);
  if (!read.ok) throw new AckMismatch(`ACK unreadable: ${read.error.field}: ${read.error.rule}`);
  if (read.value.code !== 'AA' || read.value.acknowledgedControlId !== controlId) {
    const why = read.value.errors.map((e) => e.userMessage || e.diagnostic || e.code).join('; ');
    throw new AckMismatch(`expected AA for ${controlId}, got ${read.value.code} for ${read.value.acknowledgedControlId}${why ? ` (${why})` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sequential driver: one message in flight, latency of each round trip

interface SequentialSender {
  /** Resolves once the checked ACK of this message is back. */
  send(text: string, controlId: string): Promise<void>;
  close(): Promise<void>;
}

async function runSequential(label: string, sender: SequentialSender, message: MessageFactory, limits: Limits, tag: string): Promise<RunResult> {
  for (let i = 0; i < limits.warmup; i++) {
    const id = `${tag}W${i}`;
    await sender.send(message(id), id);
  }
  const before = memorySnapshot();
  const peaks = memoryPeaks();
  const latencies = new Float64Array(limits.messages);
  const start = performance.now();
  const deadline = start + limits.seconds * 1000;
  let acked = 0;
  while (acked < limits.messages && performance.now() < deadline) {
    const id = `${tag}${acked}`;
    const text = message(id);
    const t0 = performance.now();
    await sender.send(text, id);
    latencies[acked] = performance.now() - t0;
    acked++;
  }
  const seconds = (performance.now() - start) / 1000;
  const peak = peaks.stop();
  const after = memorySnapshot();
  return {
    label, acked, seconds, latency: summarizeLatencies(latencies.subarray(0, acked)),
    rssDelta: after.rss - before.rss, heapDelta: after.heapUsed - before.heapUsed, peakRss: peak.rss,
  };
}

// ---------------------------------------------------------------------------------------------
// Pipelined driver: frames written back to back on one socket, ACKs counted in order

async function runPipelined(label: string, port: number, message: MessageFactory, limits: Limits & { window: number }, tag: string): Promise<RunResult> {
  const socket = net.connect({ host: HOST, port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const decoder = new MllpDecoder();
  const window = limits.window;
  const sentAt = new Float64Array(window);
  const ids: string[] = new Array<string>(window);

  /** Sends up to `max` messages (stops sending at the deadline), resolves when all are acknowledged. */
  const phase = (name: string, max: number, seconds: number, latencies?: Float64Array) =>
    new Promise<number>((resolve, reject) => {
      const deadline = performance.now() + seconds * 1000;
      let sent = 0;
      let acked = 0;
      let sending = true;
      const fill = (): void => {
        if (sending && performance.now() >= deadline) sending = false;
        if (!sending) return;
        socket.cork();
        while (sent - acked < window && sent < max) {
          const id = `${tag}${name}${sent}`;
          const slot = sent % window;
          ids[slot] = id;
          sentAt[slot] = performance.now();
          socket.write(encodeMllpFrame(message(id)));
          sent++;
        }
        socket.uncork();
        if (sent >= max) sending = false;
      };
      const cleanup = (): void => {
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      const onData = (chunk: Buffer): void => {
        try {
          for (const event of decoder.push(chunk)) {
            if (event.kind !== 'message') throw new Error(`ACK framing: ${event.error.message}`);
            const slot = acked % window;
            if (latencies) latencies[acked] = performance.now() - sentAt[slot]!;
            checkOurAck(event.message.toString('utf8'), ids[slot]!);
            acked++;
          }
        } catch (error) {
          cleanup();
          reject(error as Error);
          return;
        }
        fill();
        if (!sending && acked === sent) {
          cleanup();
          resolve(acked);
        }
      };
      const onError = (error: Error): void => { cleanup(); reject(error); };
      const onClose = (): void => { cleanup(); reject(new Error(`connection closed after ${acked} ACKs of ${sent} messages`)); };
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      fill();
    });

  try {
    await phase('W', limits.warmup, limits.seconds);
    const before = memorySnapshot();
    const peaks = memoryPeaks();
    const latencies = new Float64Array(limits.messages);
    const start = performance.now();
    const acked = await phase('M', limits.messages, limits.seconds, latencies);
    const seconds = (performance.now() - start) / 1000;
    const peak = peaks.stop();
    const after = memorySnapshot();
    return {
      label, acked, seconds, latency: summarizeLatencies(latencies.subarray(0, acked)),
      rssDelta: after.rss - before.rss, heapDelta: after.heapUsed - before.heapUsed, peakRss: peak.rss,
      note: `window ${window}; latency = write → ACK, includes waiting behind the window`,
    };
  } finally {
    socket.end();
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Listeners and senders

/** Our listener, with a handler that parses and acknowledges with our codec (no database). */
async function startCodecServer(): Promise<{ server: MllpServer; port: number }> {
  let ackCount = 0;
  const server = createMllpServer({
    handler: async (raw) => {
      const parsed = parse(raw.toString('utf8'));
      if (!parsed.ok) throw new Error(`bench message unreadable: ${parsed.error.field}: ${parsed.error.rule}`);
      const ack = buildAck(parsed.value, { code: 'AA', controlId: `ACK${++ackCount}`, timestamp: new Date() });
      return Buffer.from(serialize(ack, { segmentSeparator: '\r' }), 'utf8');
    },
    onError: (error) => console.error(`  listener error: ${error.message}`),
  });
  const port = await server.listen(0, HOST);
  return { server, port };
}

function ourClient(port: number): SequentialSender {
  const client = createMllpClient({ host: HOST, port });
  return {
    async send(text, controlId) {
      const ack = await client.send(text);
      checkOurAck(ack.toString('utf8'), controlId);
    },
    close: () => client.close(),
  };
}

/**
 * node-hl7-client 3.x: Client + Connection (waitAck). Its API takes a Message object, so the
 * message is parsed once and MSH-10 is set per send, as its documentation shows; its ACK
 * arrives in the connection handler, already parsed, and is checked with its own accessors.
 */
async function nodeHl7Client(port: number, template: string): Promise<SequentialSender> {
  const client = new NodeHl7Client({ host: HOST });
  let pending: { controlId: string; resolve: () => void; reject: (e: Error) => void } | undefined;
  const connection = client.createConnection({ port, waitAck: true, maxConnections: 1 }, (response) => {
    const waiting = pending;
    pending = undefined;
    if (!waiting) return;
    const ack = response.getMessage();
    const code = ack.get('MSA.1').toString();
    const acknowledged = ack.get('MSA.2').toString();
    if (code === 'AA' && acknowledged === waiting.controlId) waiting.resolve();
    else waiting.reject(new AckMismatch(`expected AA for ${waiting.controlId}, got ${code} for ${acknowledged}`));
  });
  connection.on('data.error', (error: Error) => pending?.reject(error));
  await once(connection, 'connect');
  const message = new NodeHl7Message({ text: template });
  return {
    send(_text, controlId) {
      return new Promise<void>((resolve, reject) => {
        pending = { controlId, resolve, reject };
        message.set('MSH.10', controlId);
        connection.sendMessage(message).catch(reject);
      });
    },
    async close() {
      await connection.close();
      client.closeAll();
    },
  };
}

interface SimpleHl7Segment { getField(index: number): string }
interface SimpleHl7Message { getSegment(name: string): SimpleHl7Segment | undefined }
interface SimpleHl7TcpServer {
  start(port: number, encoding?: string): void;
  stop(): void;
  server: net.Server;
}
interface SimpleHl7TcpClient {
  send(message: string, callback: (error: Error | null, ack?: SimpleHl7Message) => void): void;
  close(): void;
}
interface SimpleHl7 {
  Server: {
    createTcpServer(options: object, handler: (error: Error | null, req?: unknown, res?: { end(): void }) => void): SimpleHl7TcpServer;
    createTcpClient(options: { host: string; port: number; keepalive: boolean }): SimpleHl7TcpClient;
  };
}
const simpleHl7 = createRequire(import.meta.url)('simple-hl7') as SimpleHl7;

/** simple-hl7 3.x TCP server: parses each message with its parser and answers its own AA ACK. */
async function startSimpleHl7Server(): Promise<{ port: number; stop(): Promise<void> }> {
  const server = simpleHl7.Server.createTcpServer({}, (error, _req, res) => {
    if (error) console.error(`  simple-hl7 server error: ${error.message}`);
    else res?.end();
  });
  server.start(0); // listens on every interface: it takes no host
  if (!server.server.listening) await once(server.server, 'listening');
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    port,
    stop: async () => {
      const closed = once(server.server, 'close');
      server.stop();
      server.server.unref();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 500))]);
    },
  };
}

function simpleHl7Client(port: number): SequentialSender {
  const client = simpleHl7.Server.createTcpClient({ host: HOST, port, keepalive: true });
  return {
    send(text, controlId) {
      return new Promise<void>((resolve, reject) => {
        client.send(text, (error, ack) => {
          if (error) return reject(error);
          const msa = ack?.getSegment('MSA');
          const code = msa?.getField(1);
          const acknowledged = msa?.getField(2);
          if (code === 'AA' && acknowledged === controlId) resolve();
          else reject(new AckMismatch(`expected AA for ${controlId}, got ${code} for ${acknowledged}`));
        });
      });
    },
    async close() {
      client.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

/** The official SGL admission message (ADT^A01, PAM FR, 0.8 kB) with MSH-10 replaced per send. */
function transportTemplate(): { text: string; source: string } {
  const dir = fixturesDir();
  const file = dir === undefined ? undefined : path.join(dir, 'hl7v2', 'SGL', 'admission.er7');
  if (file !== undefined) {
    try {
      return { text: readFileSync(file, 'utf8').replace(/\r\n|\n/g, '\r').replace(/\r+$/, '') + '\r', source: 'fixtures hl7v2/SGL/admission.er7' };
    } catch { /* fall through to a built message */ }
  }
  return { text: pamMessages('T').next('TEMPLATE'), source: 'an A28 built by our codec (fixtures not found)' };
}

function withControlId(template: string): MessageFactory {
  const end = template.indexOf('\r');
  const fields = template.slice(0, end).split('|');
  const prefix = `${fields.slice(0, 9).join('|')}|`;
  const suffix = `|${fields.slice(10).join('|')}${template.slice(end)}`;
  return (controlId) => prefix + controlId + suffix;
}

/**
 * PAM FR ITI-30 messages for the platform: message 2k is an A28 creating the provisional
 * identity of a new IPP, message 2k+1 an A31 updating it (used name added); every message
 * has its own control id, so each is stored, deduplicated and processed.
 */
function pamMessages(runTag: string): { next: MessageFactory } {
  let n = 0;
  return {
    next(controlId) {
      const k = n++;
      const header: PamHeader = {
        sendingApplication: 'BENCH', sendingFacility: 'CHU-X', receivingApplication: 'PASSERELLE', receivingFacility: '000000000',
        controlId, timestamp: new Date(),
      };
      const patient: PamPatient = {
        ipp: { id: `${runTag}${Math.floor(k / 2)}`, authority: { namespace: 'CHU-X', oid: '000897406', type: 'N' } },
        birthName: 'BENCHMARK', firstGivenName: 'CAMILLE', birthGivenNames: 'CAMILLE ANDREE', birthDate: '1984-07-12', sex: k % 4 < 2 ? 'F' : 'M',
        status: 'PROV', attributes: [],
        ...(k % 2 === 1 ? { usedName: 'MARTIN' } : {}),
      };
      const built = k % 2 === 0 ? buildA28(header, patient) : buildA31(header, patient);
      if (!built.ok) throw new Error(`bench message: ${built.error.field}: ${built.error.rule}`);
      return serialize(built.value, { segmentSeparator: '\r' });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

function printResults(title: string, results: RunResult[], goal?: number): void {
  console.log(`\n${title}`);
  const reference = results[0];
  console.table(results.map((r) => {
    const rate = r.acked / r.seconds;
    return {
      configuration: r.label,
      'acked msg/s': fmt(rate),
      messages: fmt(r.acked),
      's': fmt(r.seconds, 2),
      'p50 ms': fmt(r.latency.p50, 3),
      'p95 ms': fmt(r.latency.p95, 3),
      'p99 ms': fmt(r.latency.p99, 3),
      'max ms': fmt(r.latency.max, 1),
      'ΔRSS MiB': mib(r.rssDelta),
      'Δheap MiB': mib(r.heapDelta),
      'peak RSS MiB': fmt(r.peakRss / 1_048_576, 0),
      ...(reference && results.length > 1 ? { 'vs first row': `${fmt(rate / (reference.acked / reference.seconds), 2)}×` } : {}),
      ...(goal ? { [`≥ ${fmt(goal)}/s`]: rate >= goal ? 'yes' : 'no' } : {}),
    };
  }));
  for (const r of results) if (r.note) console.log(`  ${r.label}: ${r.note}`);
}

const GOAL = 5_000;

async function attempt<T>(label: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    console.log(`  ${label}: skipped — ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// A. transport + codec

async function transportBench(): Promise<void> {
  const { text: template, source } = transportTemplate();
  const message = withControlId(template);
  console.log(`\nMLLP transport + codec on loopback — message: ${source}, ${fmt(Buffer.byteLength(template))} bytes`);
  console.log(`  handler: parse + AA ACK with our codec, no database; sender checks every ACK (AA, MSA-2 = MSH-10)`);

  const results: RunResult[] = [];
  const { server, port } = await startCodecServer();
  try {
    const ours = ourClient(port);
    results.push(await runSequential('A1 ours → ours, sequential (1 in flight)', ours, message, TRANSPORT, 'S'));
    await ours.close();

    const pipelined = await runPipelined(`A2 raw socket → ours, pipelined`, port, message, PIPELINE, 'P');
    const counters = server.counters;
    pipelined.note = `${pipelined.note}; listener back-pressure pauses ${fmt(counters.backpressurePauses)}, peak queue ${counters.peakQueuedMessages}`;
    results.push(pipelined);
    printResults(`A. our listener (codec handler), one connection, goal ≥ ${fmt(GOAL)} acknowledged messages/s`, results, GOAL);

    // Peers: same message, same sequential loop, each sender checking ACKs with its own library.
    const peers: RunResult[] = [results[0]!];
    const nodeHl7 = await attempt('node-hl7-client client → our listener', async () => {
      const sender = await nodeHl7Client(port, template);
      try {
        return await runSequential('node-hl7-client client → ours', sender, message, PEERS, 'N');
      } finally {
        await sender.close();
      }
    });
    if (nodeHl7) peers.push(nodeHl7);
    const simple = await attempt('simple-hl7 server', async () => {
      const peerServer = await startSimpleHl7Server();
      try {
        const oursToSimple = ourClient(peerServer.port);
        const a = await runSequential('ours client → simple-hl7 server', oursToSimple, message, PEERS, 'O');
        await oursToSimple.close();
        const simpleToSimple = simpleHl7Client(peerServer.port);
        const b = await runSequential('simple-hl7 client → simple-hl7 server', simpleToSimple, message, PEERS, 'Q');
        await simpleToSimple.close();
        return [a, b];
      } finally {
        await peerServer.stop();
      }
    });
    if (simple) peers.push(...simple);
    printResults('A3. peers, sequential round trips on one connection (first row: ours → ours, from A1; "vs first row" < 1 means slower than ours)', peers);
    console.log('  node-hl7-client 3.x has no MLLP server (that is the separate node-hl7-server package, not installed):'
      + ' its client is measured against our listener. simple-hl7\'s server treats everything up to a trailing 0x1C 0x0D'
      + ' as one message, so frames pipelined in one TCP chunk are not separated: it is measured sequentially only.');
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// B. full platform

const BENCH_DATABASE = 'passerelle_bench';


async function platformBench(kind: DatabaseKind): Promise<void> {
  await withBenchPlatform(kind, BENCH_DATABASE, {}, async ({ app, where, startup }) => {
    console.log(`\nFull platform on ${where}: started in ${fmt(startup, 1)} s (database opened and migrated, test PKI, national sandboxes, listeners)`);
    console.log('  per message: raw stored, parsed, deduplicated by sender + MSH-10, identity created (A28) or updated (A31), audited, ACK stored');

    const port = app.ports.mllp;
    const runTag = `9${Date.now().toString().slice(-7)}`;
    const messages = pamMessages(runTag);
    const results: RunResult[] = [];
    const sender = ourClient(port);
    results.push(await runSequential('B1 ours → platform, sequential (1 in flight)', sender, messages.next, PLATFORM, 'S'));
    await sender.close();
    results.push(await runPipelined('B2 raw socket → platform, pipelined', port, messages.next, PLATFORM_PIPELINE, 'P'));
    printResults(`B. full platform on ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}, PAM A28/A31, one connection`, results, GOAL);

    const count = async (query: ReturnType<typeof sql>): Promise<string> => {
      const result = await app.database.db.execute(query) as unknown as { rows: Array<Record<string, unknown>> };
      return result.rows.map((row) => Object.values(row).join(' ')).join(', ');
    };
    console.log(`  check in the database: hl7_messages by status: ${await count(sql`select status, count(*)::int as n from hl7_messages group by status order by status`)};`
      + ` identities: ${await count(sql`select count(*)::int as n from identities`)};`
      + ` audit events: ${await count(sql`select count(*)::int as n from audit_events`)};`
      + ` outbox jobs: ${await count(sql`select count(*)::int as n from jobs`)}`);
  });
}

export interface MllpBenchParts {
  /** A: transport + codec, ours and peers. Default true. */
  transport?: boolean;
  /** B: full platform (PGlite, and PostgreSQL when BENCH_DATABASE_URL is set). Default true. */
  platform?: boolean;
}

export async function runMllpBench({ transport = true, platform = true }: MllpBenchParts = {}): Promise<void> {
  if (transport) await transportBench();
  if (!platform) return;
  await platformBench('pglite');
  if (process.env.BENCH_DATABASE_URL) await platformBench('postgres');
  else console.log('\n(full platform on PostgreSQL: set BENCH_DATABASE_URL, e.g. postgres://root@127.0.0.1:5432/test — a database passerelle_bench is created there and dropped)');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv[2];
  await runMllpBench({ transport: only !== 'platform', platform: only !== 'transport' });
}
