/**
 * `buildCda(doc)`: a CDA R2 document per CI-SIS (header documents.md §3, level 1 body §4).
 * Namespace-exact: default namespace `urn:hl7-org:v3`, `xsi` declared, no `xsi:schemaLocation`
 * (IGDC). Invalid input gives a Result error naming the field and the rule; never throws.
 */
import { fail, ok, type Result } from '../result.ts';
import { writeBody } from './body.ts';
import { writeHeader } from './header.ts';
import type { CdaDocument } from './model.ts';
import { validateDocument } from './validate.ts';
import { NS } from './xml.ts';
import { element, serialize } from './xml-writer.ts';

export function buildCda(doc: CdaDocument): Result<string> {
  try {
    if (doc === null || typeof doc !== 'object') return fail('document', 'expected a document object');
    const valid = validateDocument(doc);
    if (!valid.ok) return valid;
    const root = element('ClinicalDocument', { xmlns: NS.hl7, 'xmlns:xsi': NS.xsi });
    writeHeader(root, doc);
    writeBody(root, doc.body, doc.id);
    return ok(serialize(root));
  } catch (error) {
    // Defensive: a malformed object that slipped through validation (e.g. a getter that throws).
    return fail('document', `cannot be built: ${error instanceof Error ? error.message : String(error)}`);
  }
}
