/**
 * XDM `METADATA.XML` (IHE ITI TF-2b §3.32.4.1.4): the ebRIM `lcm:SubmitObjectsRequest` built by
 * formats/xds (the same metadata as for the DMP, mssante.md §4), completed with what XDM adds:
 *
 * - a `URI` slot on each ExtrinsicObject: the document's file name relative to the subset
 *   folder (ITI TF-2b §3.32.4.1.4, "URI" slot required by XDM);
 * - an `intendedRecipient` slot on the submission set, one XTN per e-mail recipient
 *   (`||^^Internet^<address>`, ITI TF-3 §4.2.3.3.10), when recipients are given.
 *
 * The builder writes these slots before any other child (rim.xsd puts Slot first), so that
 * there is one ebRIM builder in the code base.
 */
import { buildSubmitObjectsRequest, type SubmitObjectsRequestInput } from '../xds/index.ts';
import { fail, type Result } from '../result.ts';

export interface XdmMetadataInput extends SubmitObjectsRequestInput {
  /** File name of each entry, same order as `entries` (relative to the subset folder). */
  uris: string[];
  /** E-mail addresses of the recipients (intendedRecipient). */
  intendedRecipients?: string[];
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"|^&~]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/** Builds METADATA.XML; an error names the input field. */
export function buildXdmMetadata(input: XdmMetadataInput): Result<string> {
  if (typeof input !== 'object' || input === null) return fail('metadata', 'an object is required');
  if (!Array.isArray(input.uris) || !Array.isArray(input.entries) || input.uris.length !== input.entries.length) {
    return fail('metadata.uris', 'one file name per DocumentEntry is required');
  }
  const recipients = input.intendedRecipients ?? [];
  for (const [i, r] of recipients.entries()) {
    if (typeof r !== 'string' || !ADDRESS.test(r)) return fail(`intendedRecipients[${i}]`, 'must be an e-mail address');
  }
  for (const [i, uri] of input.uris.entries()) {
    if (typeof uri !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(uri)) return fail(`uris[${i}]`, 'must be a plain relative file name');
  }
  return buildSubmitObjectsRequest({
    ...input,
    submissionSet: recipients.length > 0
      ? { ...input.submissionSet, slots: { intendedRecipient: recipients.map((r) => `||^^Internet^${r}`), ...input.submissionSet.slots } }
      : input.submissionSet,
    entries: input.entries.map((e, i) => ({ ...e, slots: { URI: [input.uris[i]!], ...e.slots } })),
  });
}
