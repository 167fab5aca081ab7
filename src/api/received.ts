/**
 * HTTP API of the documents received from outside (lab and imaging reports, volets de synthèse
 * médicale, by MSSanté or from the plateaux techniques): a patient's received documents, the
 * review queue of the identity-vigilance cell, attaching a document to the patient a person
 * identified, and the CDA or PDF itself. Every read is audited.
 */
import { z } from 'zod';
import type { HttpServer } from '../platform/http/index.ts';
import type { ReceivedDocumentService } from '../record/index.ts';
import { actorOf } from './actor.ts';

export function registerReceivedRoutes(app: HttpServer, deps: { received: ReceivedDocumentService }): void {
  const { received } = deps;
  const tags = ['documents reçus'];
  const idParams = z.object({ id: z.uuid() });

  app.get('/api/identities/:id/received-documents', {
    schema: { tags, summary: 'Documents reçus de l’extérieur et intégrés au dossier du patient', params: idParams },
  }, async (req) => ({ items: await received.listFor(req.params.id, actorOf(req)) }));

  app.get('/api/received-documents/review', {
    schema: { tags, summary: 'Documents reçus en attente de rapprochement (patient non identifié avec certitude)' },
  }, async (req) => ({ items: await received.reviewQueue(actorOf(req)) }));

  app.post('/api/received-documents/:id/attach', {
    schema: {
      tags, summary: 'Rattacher un document en attente au patient identifié par la cellule d’identitovigilance',
      params: idParams, body: z.object({ identityId: z.uuid(), reason: z.string().min(3).describe('Comment le patient a été identifié') }),
    },
  }, async (req) => await received.attach(req.params.id, req.body.identityId, req.body.reason, actorOf(req)));

  app.get('/api/received-documents/:id/cda', { schema: { tags, summary: 'Le CDA reçu', params: idParams } }, async (req, reply) => {
    const cda = await received.content(req.params.id, 'cda', actorOf(req));
    return reply.type('application/xml; charset=utf-8').send(cda);
  });

  app.get('/api/received-documents/:id/pdf', { schema: { tags, summary: 'Le PDF reçu avec le document', params: idParams } }, async (req, reply) => {
    const pdf = await received.content(req.params.id, 'pdf', actorOf(req));
    return reply.type('application/pdf').send(pdf);
  });
}
