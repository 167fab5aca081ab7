/**
 * What the platform's worker threads run (platform/workers): the pure CPU work of the document
 * flow, a few milliseconds per document each, kept off the event loop that serves the API, the
 * MLLP listener and the outbox.
 * - `composeExitDocument`: an exit document's PDF/A and CDA at validation (record), without
 *   the CDA model, which validation does not keep;
 * - `writeDocumentMessages`: the MSSanté messages of a sending, XDM archive and MIME
 *   (national/mssante).
 */
import { ok, type Result } from './formats/result.ts';
import { composeExitDocument as compose, type ComposedDocument, type ExitDocumentInput } from './record/index.ts';

export async function composeExitDocument(input: ExitDocumentInput): Promise<Result<ComposedDocument>> {
  const composed = await compose(input);
  if (!composed.ok) return composed;
  const { pdf, cda, header } = composed.value;
  return ok({ pdf, cda, header });
}

export { writeDocumentMessages } from './national/mssante/index.ts';
