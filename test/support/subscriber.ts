/**
 * A PAM subscriber for tests: a real MLLP listener that records what it receives and answers
 * as scripted — AA, AE, AR, or silence (to provoke ACK timeouts).
 */
import { buildAck, messageHeader, parse, readPid, serialize, type Hl7Message, type Pid } from '../../src/formats/hl7v2/index.ts';
import { createMllpServer } from '../../src/platform/mllp/index.ts';

export type Answer = 'AA' | 'AE' | 'AR' | 'silence';

export interface ReceivedMessage {
  text: string;
  message: Hl7Message;
  event: string;
  controlId: string;
  pid: Pid;
}

export async function startSubscriber(answer: (received: ReceivedMessage, index: number) => Answer = () => 'AA') {
  const received: ReceivedMessage[] = [];
  let counter = 0;
  const server = createMllpServer({
    handler: async (raw) => {
      const text = raw.toString('utf8');
      const parsed = parse(text);
      if (!parsed.ok) throw new Error(`subscriber got an unparseable message: ${parsed.error.rule}`);
      const msh = messageHeader(parsed.value)!;
      const item = { text, message: parsed.value, event: msh.messageType.trigger, controlId: msh.controlId, pid: readPid(parsed.value.segment('PID')!) };
      received.push(item);
      const code = answer(item, received.length - 1);
      if (code === 'silence') return undefined;
      const ack = buildAck(parsed.value, {
        code, controlId: `SUB${++counter}`, timestamp: new Date(),
        ...(code === 'AA' ? {} : { errors: [{ code: 207, userMessage: `scripted ${code}` }] }),
      });
      return Buffer.from(serialize(ack, { segmentSeparator: '\r' }));
    },
  });
  const port = await server.listen(0);
  return { port, received, close: () => server.close({ timeoutMs: 500 }) };
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
