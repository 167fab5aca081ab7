/**
 * HTTP API of the DPI exit documents: drafts, validation (PDF + CDA R2 N1 generated), new
 * versions, retrieval as JSON, PDF, CDA XML or a readable HTML view.
 */
import { z } from 'zod';
import { PRODUCED_DOCUMENT_TYPE_KEYS, DOCUMENT_TYPE_KEYS } from '../formats/cda/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { HttpServer } from '../platform/http/index.ts';
import { documentHtml, type DocumentService } from '../record/index.ts';
import { actorOf } from './actor.ts';

const professional = z.object({
  rpps: z.string().regex(/^\d{11}$/).describe('Numéro RPPS (11 chiffres)'),
  family: z.string().min(1),
  given: z.string().optional(),
  specialty: z.string().min(1).describe('Code JDV_J01, p. ex. G15_10/SM26'),
});
const section = z.object({ heading: z.string().min(1), paragraphs: z.array(z.string()) });
const idParams = z.object({ id: z.uuid() });


export function registerDocumentRoutes(app: HttpServer, deps: { documents: DocumentService; identities: IdentityService }): void {
  const { documents } = deps;
  const tags = ['documents'];

  app.post('/api/documents', {
    schema: {
      tags, summary: `Créer un brouillon de document de sortie (${PRODUCED_DOCUMENT_TYPE_KEYS.join(', ')}, crh)`,
      body: z.object({
        identityId: z.uuid(), stayId: z.uuid().optional(), type: z.enum(DOCUMENT_TYPE_KEYS as unknown as [string, ...string[]]),
        title: z.string().min(1).optional(), sections: z.array(section).min(1), author: professional,
      }),
    },
  }, async (req, reply) => reply.status(201).send(await documents.createDraft(req.body, actorOf(req))));

  app.patch('/api/documents/:id', {
    schema: { tags, summary: 'Modifier un brouillon', params: idParams, body: z.object({ title: z.string().min(1).optional(), sections: z.array(section).min(1).optional(), author: professional.optional() }) },
  }, async (req) => await documents.updateDraft(req.params.id, req.body, actorOf(req)));

  app.post('/api/documents/:id/validate', {
    schema: { tags, summary: 'Valider (signature du responsable) : génère le PDF et le CDA R2 N1 avec l’INS qualifié', params: idParams, body: z.object({ legalAuthenticator: professional }) },
  }, async (req) => await documents.validate(req.params.id, req.body.legalAuthenticator, actorOf(req)));

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
