/**
 * A worker thread of the compose pool (compose-pool.ts): composes the exit documents it is sent
 * and answers with their PDF (transferred), CDA and header.
 */
import { parentPort } from 'node:worker_threads';
import { composeExitDocument, type ExitDocumentInput } from './compose.ts';

interface Request { id: number; input: ExitDocumentInput }

parentPort!.on('message', ({ id, input }: Request) => {
  composeExitDocument(input).then((composed) => {
    if (!composed.ok) {
      parentPort!.postMessage({ id, result: composed });
      return;
    }
    const { pdf, cda, header } = composed.value;
    parentPort!.postMessage({ id, result: { ok: true, value: { pdf, cda, header } } }, [pdf.buffer as ArrayBuffer]);
  }, (error: unknown) => {
    parentPort!.postMessage({ id, crash: error instanceof Error ? error.message : String(error) });
  });
});
parentPort!.postMessage({ ready: true });
