/**
 * `passerelle hl7 parse <file>`: the message as JSON (segments, MSH, typed PID); exit 0, or
 * the precise error and exit 2.
 * `passerelle hl7 send <file> --port N`: sends over MLLP and prints the ACK; exit 0 on AA,
 * 1 on AE/AR, 2 when no ACK could be obtained.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { messageHeader, parse, readAck, readPid, serialize } from '../formats/hl7v2/index.ts';
import { describeError } from '../formats/result.ts';
import { decodeHl7, encodeHl7 } from '../platform/hl7-inbox/index.ts';
import { createMllpClient } from '../platform/mllp/index.ts';

/** Reads and decodes a message file; an unreadable file ends the command with exit 2. */
async function readMessageFile(file: string): Promise<string | undefined> {
  try {
    return decodeHl7(await readFile(file));
  } catch (error) {
    console.error(`Lecture impossible de ${file} : ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    process.exitCode = 2;
    return undefined;
  }
}

export function registerHl7Commands(program: Command): void {
  const hl7 = program.command('hl7').description('HL7 v2 tools (ER7, MLLP)');

  hl7.command('parse')
    .description('Parse an HL7 v2 message (CR, LF or CRLF separators) and print it as JSON')
    .argument('<file>', 'file holding one ER7 message')
    .action(async (file: string) => {
      const text = await readMessageFile(file);
      if (text === undefined) return;
      const parsed = parse(text);
      if (!parsed.ok) {
        console.error(describeError(parsed.error));
        process.exitCode = 2;
        return;
      }
      const message = parsed.value;
      const pidSegment = message.segment('PID');
      const json = {
        msh: messageHeader(message),
        pid: pidSegment ? readPid(pidSegment) : undefined,
        segments: message.segments.map((s) => ({
          name: s.name,
          fields: Array.from({ length: s.fieldCount }, (_, i) => s.field(i + 1)),
        })),
      };
      console.log(JSON.stringify(json, null, 2));
    });

  hl7.command('send')
    .description('Send an HL7 v2 message over MLLP and print the acknowledgement')
    .argument('<file>', 'file holding one ER7 message')
    .option('--host <host>', 'listener host', '127.0.0.1')
    .requiredOption('--port <port>', 'listener port (the platform listens on PASSERELLE_MLLP_PORT, default 2575)', (v) => Number.parseInt(v, 10))
    .option('--timeout <ms>', 'ACK timeout in milliseconds', (v) => Number.parseInt(v, 10), 10_000)
    .action(async (file: string, options: { host: string; port: number; timeout: number }) => {
      const text = await readMessageFile(file);
      if (text === undefined) return;
      const parsed = parse(text);
      // Well-formed messages go out with CR separators, as MLLP requires; anything else as is.
      const payload = parsed.ok ? serialize(parsed.value, { segmentSeparator: '\r' }) : text;
      const client = createMllpClient({ host: options.host, port: options.port, ackTimeoutMs: options.timeout });
      try {
        const ackText = decodeHl7(await client.send(encodeHl7(payload)));
        console.log(ackText.replace(/\r/g, '\n').trimEnd());
        const ack = parse(ackText);
        const read = ack.ok ? readAck(ack.value) : ack;
        process.exitCode = read.ok && read.value.code === 'AA' ? 0 : 1;
      } catch (error) {
        console.error(`Pas d'acquittement : ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 2;
      } finally {
        client.destroy();
      }
    });
}
