/**
 * The national clients seen as the channels of the exchange service (ports of service.ts).
 *
 * - DMP: the outgoing CDA becomes an XDS DocumentEntry (formats/xds) with the document's
 *   confidentiality flags, published by ITI-41 — or replaced (RPLC) when it replaces an earlier
 *   version. A retry after a publication whose answer was lost meets
 *   `XDSDuplicateUniqueIdInRegistry`: the registry is then asked for the entry, and the same
 *   hash means the document is already there — success, not a duplicate.
 * - MSSanté: one message per dispatch (one professional, or the patient with
 *   `X-MSS-MES: FIN`), the CDA in an IHE XDM archive and the PDF beside it.
 * - Annuaire Santé: a professional's MSSanté address, the personal one first.
 */
import { parseCdaHeader, type CdaHeader } from '../formats/cda/index.ts';
import { ok, type Result } from '../formats/result.ts';
import { deriveDocumentEntry, type VisibilityFlag, type XdsAuthor, type XdsCode } from '../formats/xds/index.ts';
import type { AnnuaireClient } from '../national/annuaire/index.ts';
import { DmpError, type DmpClient } from '../national/dmp/index.ts';
import { MssanteError, type MssanteClient } from '../national/mssante/index.ts';
import type { DirectoryPort, DmpPort, MailPort, OutgoingDocument } from './service.ts';
import type { OutgoingMail } from './tables.ts';

const bytesOf = (document: OutgoingDocument): Uint8Array => Buffer.from(document.cda, 'utf8');

/** The CDA header read at routing (parsed again only for documents routed before it was kept). */
const headerOf = (document: OutgoingDocument): Result<CdaHeader> => (document.header ? ok(document.header) : parseCdaHeader(document.cda));

function visibilityOf(document: OutgoingDocument): VisibilityFlag[] {
  const c = document.confidentiality;
  return [
    ...(c.maskedToProfessionals ? ['MASQUE_PS' as const] : []),
    ...(c.invisibleToPatient ? ['INVISIBLE_PATIENT' as const] : []),
    ...(c.invisibleToLegalRepresentatives ? ['INVISIBLE_REPRESENTANTS_LEGAUX' as const] : []),
  ];
}

export function dmpChannel(client: DmpClient, options: { contentTypeCode: XdsCode; institution: string }): DmpPort {
  return {
    async publish(document) {
      const header = headerOf(document);
      if (!header.ok) throw new DmpError('invalid_request', `CDA illisible : ${header.error.field} : ${header.error.rule}`);
      const bytes = bytesOf(document);
      const entry = deriveDocumentEntry(header.value, bytes, { visibility: visibilityOf(document) });
      if (!entry.ok) throw new DmpError('invalid_request', `Métadonnées XDS : ${entry.error.field} : ${entry.error.rule}`);
      // A replacement announced outside the CDA (MDM^T10 TXA-13) replaces what the source says.
      if (document.replacesUniqueId && !entry.value.replaces) entry.value.replaces = document.replacesUniqueId;
      const author: XdsAuthor = entry.value.authors[0] ?? { institutions: [options.institution] };
      const input = { documents: [{ bytes, entry: entry.value }] as [{ bytes: Uint8Array; entry: typeof entry.value }], contentTypeCode: options.contentTypeCode, author, title: document.title };
      try {
        const result = document.replacesUniqueId ? await client.replace(input) : await client.publish(input);
        return { entryId: result.submissionSetUniqueId };
      } catch (error) {
        if (!(error instanceof DmpError) || error.code !== 'XDSDuplicateUniqueIdInRegistry' || !document.patient.ins) throw error;
        const [found] = await client.getDocuments({ uniqueIds: [document.uniqueId] }, document.patient.ins);
        if (found && found.entry.hash === entry.value.hash) return { entryId: found.entryUuid };
        throw error;
      }
    },

    /**
     * ITI-57 deletion (dmp.md §6): the document itself, or — when the registry does not know it —
     * the version it replaces. Deleting what is already deleted is success (a retry).
     */
    async delete(document) {
      const patient = document.patient.ins;
      if (!patient) throw new DmpError('invalid_request', 'Le DMP n’est alimenté que sur l’INS qualifiée : identité non qualifiée');
      const candidates = [document.uniqueId, ...(document.replacesUniqueId ? [document.replacesUniqueId] : [])];
      for (const [i, uniqueId] of candidates.entries()) {
        try {
          await client.delete(uniqueId, patient);
          return { entryId: uniqueId };
        } catch (error) {
          if (!(error instanceof DmpError) || error.code !== 'not_found') throw error;
          const [found] = await client.getDocuments({ uniqueIds: [uniqueId] }, patient);
          if (found?.status.endsWith(':Deleted')) return { entryId: uniqueId };
          if (i === candidates.length - 1) throw error;
        }
      }
      throw new DmpError('not_found', `Document ${document.uniqueId} absent du DMP`);
    },

    /** ITI-57 metadata update (dmp.md §6): the document's confidentiality flags in the DMP become the outgoing document's. */
    async setVisibility(document) {
      const patient = document.patient.ins;
      if (!patient) throw new DmpError('invalid_request', 'Le DMP n’est alimenté que sur l’INS qualifiée : identité non qualifiée');
      await client.setVisibility(document.uniqueId, patient, visibilityOf(document));
      return { entryId: document.uniqueId };
    },
  };
}

/** The source's body texts (the composer takes the one of the audience) and its Reply-To addresses, when it gave them. */
function mailOptions(document: OutgoingDocument, patient: boolean): OutgoingMail {
  const { replyTo, ...bodies } = document.mail ?? {};
  // The patient's copy says she may not reply (X-MSS-MES: FIN): no Reply-To there.
  return { ...bodies, ...(replyTo?.length && !patient ? { replyTo } : {}) };
}

export function mailChannel(client: MssanteClient): MailPort {
  return {
    messageIdOf: (key) => client.messageIdOf(key),
    async send(document, message) {
      const patient = message.kind === 'patient';
      if (patient && !document.patient.ins) throw new MssanteError('invalid_sending', 'La messagerie patient est adressée par l’INS qualifiée : identité non qualifiée');
      const sent = await client.sendDocuments({
        documents: [{ cda: bytesOf(document), ...(document.pdf ? { pdf: document.pdf } : {}), ...(document.header ? { header: document.header } : {}) }],
        label: document.label,
        professionals: patient ? [] : [message.to],
        ...(patient ? { patientMatricule: document.patient.ins!.matricule } : {}),
        visibility: {
          hiddenFromProfessionals: document.confidentiality.maskedToProfessionals,
          invisibleToPatient: document.confidentiality.invisibleToPatient,
          invisibleToLegalRepresentatives: document.confidentiality.invisibleToLegalRepresentatives,
        },
        patientMayNotReply: patient,
        ...mailOptions(document, patient),
        messageKey: message.key,
      });
      const [first] = sent;
      if (!first) throw new MssanteError('invalid_sending', 'Aucun message composé pour ce destinataire');
      const refused = first.refused.find((r) => r.address.toLowerCase() === message.to.toLowerCase());
      if (refused) {
        // 4xx: try again later; 5xx: the operator will never take it.
        throw new MssanteError(/^4/.test(refused.reason) ? 'smtp_temporary' : 'smtp_refused', `Destinataire refusé par l’opérateur MSSanté : ${refused.reason}`, { reason: refused.reason });
      }
      return { messageId: first.messageId };
    },
  };
}

export function directoryChannel(client: AnnuaireClient): DirectoryPort {
  return {
    async mailboxesOf(rpps) {
      const practitioner = await client.findPractitionerByRpps(rpps);
      if (!practitioner || practitioner.mailboxes.length === 0) return [];
      const personal = practitioner.mailboxes.find((m) => m.carrier === 'Practitioner' && (m.type === undefined || m.type === 'PER'));
      return [(personal ?? practitioner.mailboxes[0]!).address];
    },
  };
}
