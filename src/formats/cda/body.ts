/**
 * Writes `ClinicalDocument/component`: level 1 `nonXMLBody` (documents.md §4; IGDC
 * `ressourcesCDA-struc-gen.md`) or a generic structured body (sections with templateIds,
 * code, title, narrative text and entries given as DOM nodes) or a CR-BIO level 3 body
 * (`cr-bio-body.ts`). Volet-specific bodies add a member to `CdaBody` and a case here.
 */
import { writeCrBioBody } from './cr-bio-body.ts';
import type { CdaBody, Identifier, Section } from './model.ts';
import { add, addRaw, addSerializedText, type XmlElement as Element } from './xml-writer.ts';

/** Base64 of bytes (standard alphabet, no line breaks). */
const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** `documentId` derives the ids of generated sub-elements (CR-BIO PDF copy). */
export function writeBody(root: Element, body: CdaBody, documentId: Identifier): void {
  const component = add(root, 'component');
  switch (body.kind) {
    case 'nonXml': {
      const nonXml = add(component, 'nonXMLBody');
      addSerializedText(add(nonXml, 'text', { mediaType: body.mediaType, representation: 'B64' }), toBase64(body.content));
      if (body.languageCode) add(nonXml, 'languageCode', { code: body.languageCode });
      return;
    }
    case 'structured': {
      const structured = add(component, 'structuredBody');
      for (const section of body.sections) writeSection(add(structured, 'component'), section);
      return;
    }
    case 'cr-bio':
      writeCrBioBody(component, body, documentId);
      return;
  }
}

function writeSection(component: Element, s: Section): void {
  const section = add(component, 'section');
  for (const t of s.templateIds) add(section, 'templateId', { root: t.root, extension: t.extension });
  if (s.id) add(section, 'id', { root: s.id.root, extension: s.id.extension });
  if (s.code) {
    add(section, 'code', { code: s.code.code, displayName: s.code.displayName, codeSystem: s.code.codeSystem, codeSystemName: s.code.codeSystemName });
  }
  if (s.title !== undefined) add(section, 'title', undefined, s.title);
  if (s.narrative) {
    addRaw(section, s.narrative);
  } else {
    const text = add(section, 'text');
    if (s.text) add(text, 'paragraph', undefined, s.text);
  }
  for (const entry of s.entries ?? []) addRaw(section, entry);
  for (const child of s.sections) writeSection(add(section, 'component'), child);
}
