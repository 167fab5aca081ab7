/**
 * What the platform's worker threads run (platform/workers): the pure CPU work of the document
 * flow, a few milliseconds per document each, kept off the event loop that serves the API, the
 * MLLP listener and the outbox.
 * - `composeExitDocument`: an exit document's PDF/A and CDA at validation (record), without
 *   the CDA model, which validation does not keep;
 * - `buildIti41Body`: an ITI-41 request's metadata and its signed XAdES document (national/dmp);
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

export { buildIti41Body } from './national/dmp/index.ts';
export { writeDocumentMessages } from './national/mssante/index.ts';
