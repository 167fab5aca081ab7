/**
 * HTTP API of the DPI exit documents: drafts, validation (PDF + CDA R2 N1 generated), new
 * versions, retrieval as JSON, PDF, CDA XML or a readable HTML view.
 */
import { z } from 'zod';
import { PRODUCED_DOCUMENT_TYPE_KEYS, DOCUMENT_TYPE_KEYS } from '../formats/cda/index.ts';
import { checkVisibility } from '../exchange/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { HttpServer } from '../platform/http/index.ts';
import { CORRESPONDENT_ROLES, DISTRIBUTION_CHANNELS, DocumentError, documentHtml, type Distribution, type DocumentService } from '../record/index.ts';
import { actorOf } from './actor.ts';

const professional = z.object({
  rpps: z.string().regex(/^\d{11}$/).describe('Numéro RPPS (11 chiffres)'),
  family: z.string().min(1),
  given: z.string().optional(),
  specialty: z.string().min(1).describe('Code JDV_J01, p. ex. G15_10/SM26'),
});
const section = z.object({ heading: z.string().min(1), paragraphs: z.array(z.string()) });
const distribution = z.object({
  correspondents: z.array(z.object({
    role: z.enum(CORRESPONDENT_ROLES),
    rpps: z.string().regex(/^\d{11}$/).optional().describe('RPPS : l’adresse MSSanté est cherchée dans l’Annuaire Santé'),
    address: z.email().optional().describe('Adresse MSSanté, si connue'),
    name: z.string().optional(),
  }).refine((c) => c.rpps !== undefined || c.address !== undefined, { message: 'un correspondant a un RPPS ou une adresse MSSanté' })).optional(),
  blocked: z.array(z.enum(DISTRIBUTION_CHANNELS)).optional().describe('Canaux bloqués pour ce document, par action explicite'),
  maskedToProfessionals: z.boolean().optional().describe('DMP : masqué aux professionnels (MASQUE_PS)'),
  invisibleToPatient: z.boolean().optional().describe('DMP : invisible au patient jusqu’à la consultation d’annonce'),
  invisibleToLegalRepresentatives: z.boolean().optional().describe('DMP : invisible aux représentants légaux'),
}).describe('Destinataires et choix d’envoi (DMP, MSSanté professionnels, MSSanté patient)');
const idParams = z.object({ id: z.uuid() });


/** The sending choices' recipient / visibility consistency (mssante.md §5.1): 422 naming the field otherwise. */
function consistentChoices(choices: Distribution): void {
  const consistent = checkVisibility(choices, choices.correspondents.length > 0);
  if (!consistent.ok) throw new DocumentError('inconsistent_distribution', `Choix d’envoi incohérents : ${consistent.error.rule}`, 422, { field: consistent.error.field });
}

export function registerDocumentRoutes(app: HttpServer, deps: { documents: DocumentService; identities: IdentityService }): void {
  const { documents } = deps;
  const tags = ['documents'];

  app.post('/api/documents', {
    schema: {
      tags, summary: `Créer un brouillon de document de sortie (${PRODUCED_DOCUMENT_TYPE_KEYS.join(', ')}, crh)`,
      body: z.object({
        identityId: z.uuid(), stayId: z.uuid().optional(), type: z.enum(DOCUMENT_TYPE_KEYS as unknown as [string, ...string[]]),
        title: z.string().min(1).optional(), sections: z.array(section).min(1), author: professional, distribution: distribution.optional(),
      }),
    },
  }, async (req, reply) => reply.status(201).send(await documents.createDraft(req.body, actorOf(req))));

  app.patch('/api/documents/:id', {
    schema: { tags, summary: 'Modifier un brouillon', params: idParams, body: z.object({ title: z.string().min(1).optional(), sections: z.array(section).min(1).optional(), author: professional.optional(), distribution: distribution.optional() }) },
  }, async (req) => await documents.updateDraft(req.params.id, req.body, actorOf(req)));

  app.post('/api/documents/:id/validate', {
    schema: {
      tags, summary: 'Valider (signature du responsable) : génère le PDF et le CDA R2 N1 avec l’INS qualifié, puis l’envoie au DMP et par MSSanté',
      params: idParams, body: z.object({ legalAuthenticator: professional, distribution: distribution.omit({ correspondents: true }).optional() }),
    },
  }, async (req) => await documents.validate(req.params.id, req.body.legalAuthenticator, actorOf(req), {
    ...(req.body.distribution ? { distribution: req.body.distribution } : {}),
    checkDistribution: consistentChoices,
  }));

  app.post('/api/documents/:id/visibility', {
    schema: {
      tags, summary: 'Changer la visibilité de la version validée dans le DMP (p. ex. la rendre visible au patient après la consultation d’annonce) : mise à jour ITI-57',
      params: idParams,
      body: distribution.pick({ maskedToProfessionals: true, invisibleToPatient: true, invisibleToLegalRepresentatives: true })
        .extend({ reason: z.string().min(3).describe('Motif, conservé dans la traçabilité') }),
    },
  }, async (req) => {
    const { reason, ...change } = req.body;
    return await documents.changeVisibility(req.params.id, change, reason, actorOf(req), consistentChoices);
  });

  app.post('/api/documents/:id/withdraw', {
    schema: {
      tags, summary: 'Retirer la version validée (erreur, mauvais patient) : elle est supprimée du DMP ; les messages déjà envoyés ne peuvent être repris',
      params: idParams, body: z.object({ reason: z.string().min(3).describe('Motif du retrait, conservé dans la traçabilité') }),
    },
  }, async (req) => await documents.withdraw(req.params.id, req.body.reason, actorOf(req)));

  app.post('/api/documents/:id/versions', {
    schema: { tags, summary: 'Nouvelle version d’un document validé (remplacement RPLC à la validation)', params: idParams, body: z.object({ title: z.string().min(1).optional(), sections: z.array(section).min(1).optional() }) },
  }, async (req, reply) => reply.status(201).send(await documents.replace(req.params.id, req.body, actorOf(req))));

  app.get('/api/documents/:id', {
    schema: { tags, summary: 'Lire un document (métadonnées et texte)', params: idParams },
  }, async (req) => await documents.get(req.params.id, actorOf(req)));

  app.get('/api/documents/:id/pdf', { schema: { tags, summary: 'Le PDF/A du document validé', params: idParams } }, async (req, reply) => {
    const pdf = await documents.content(req.params.id, 'pdf', actorOf(req));
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${req.params.id}.pdf"`).send(pdf);
  });

  app.get('/api/documents/:id/cda', { schema: { tags, summary: 'Le CDA R2 N1 du document validé', params: idParams } }, async (req, reply) => {
    const cda = await documents.content(req.params.id, 'cda', actorOf(req));
    return reply.type('application/xml; charset=utf-8').send(cda);
  });

  app.get('/api/documents/:id/html', { schema: { tags, summary: 'Vue lisible du document', params: idParams } }, async (req, reply) => {
    const actor = actorOf(req);
    const doc = await documents.get(req.params.id, actor);
    const patient = await deps.identities.get(doc.identityId, actor);
    return reply.type('text/html; charset=utf-8').send(documentHtml(doc, patient));
  });

  app.get('/api/identities/:id/documents', {
    schema: { tags, summary: 'Documents d’un patient', params: idParams },
  }, async (req) => ({ items: await documents.listFor(req.params.id, actorOf(req)) }));
}
