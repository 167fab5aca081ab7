/**
 * HTTP API of the identity referential: identities, proofs, INSi qualification, attributes,
 * merges, duplicates, audit trail. Staff-facing messages are French.
 */
import { z } from 'zod';
import { audit, auditTrailOf } from '../platform/audit/index.ts';
import type { Database } from '../platform/db/index.ts';
import type { HttpServer } from '../platform/http/index.ts';
import { PROOF_TYPES, type IdentityService } from '../identity/index.ts';
import { applyStayMovement, staysOf } from '../record/index.ts';
import { actorOf } from './actor.ts';

const traits = z.object({
  birthName: z.string().min(1).max(100).describe('Nom de naissance'),
  birthGivenNames: z.string().min(1).max(100).describe('Liste des prénoms de naissance, séparés par des espaces'),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('AAAA-MM-JJ (00 pour une partie inconnue)'),
  sex: z.enum(['M', 'F', 'U']),
  birthplace: z.string().regex(/^(\d{5}|2[AB]\d{3})$/).optional().describe('Code COG du lieu de naissance (99xxx à l’étranger)'),
});

const identityView = z.object({
  id: z.string(), ipp: z.string(), ippAuthority: z.string(),
  status: z.enum(['PROV', 'RECUP', 'VALI', 'QUAL']),
  attributes: z.array(z.string()),
  traits,
  usedName: z.string().optional(), usedGivenName: z.string().optional(),
  ins: z.object({ matricule: z.string(), oid: z.string() }).optional(),
  insRetrieved: z.boolean(), insAcquisition: z.string().optional(), insiCheckedAt: z.string().optional(),
  proof: z.object({ type: z.string(), expiresOn: z.string().optional() }).optional(),
  mergedInto: z.string().optional(), version: z.number(), createdAt: z.string(), updatedAt: z.string(),
});

const idParams = z.object({ id: z.uuid() });
const attribute = z.enum(['DOUT', 'FICT', 'HOMA', 'HOMD']);


export function registerIdentityRoutes(app: HttpServer, deps: { db: Database; identities: IdentityService; ndaAuthority: string }): void {
  const { identities } = deps;
  const tags = ['identités'];

  app.post('/api/identities', {
    schema: {
      tags, summary: 'Créer une identité (provisoire)',
      body: z.object({ traits, usedName: z.string().max(100).optional(), usedGivenName: z.string().max(100).optional() }),
      response: { 201: z.object({ identity: identityView, possibleDuplicates: z.array(identityView) }) },
    },
  }, async (req, reply) => {
    const created = await identities.create(req.body, actorOf(req));
    return reply.status(201).send(created);
  });

  app.get('/api/identities', {
    schema: {
      tags, summary: 'Rechercher par IPP, INS ou traits',
      querystring: z.object({
        ipp: z.string().optional(), ins: z.string().optional(), birthName: z.string().optional(), givenName: z.string().optional(),
        birthDate: z.string().optional(), sex: z.enum(['M', 'F', 'U']).optional(), limit: z.coerce.number().int().min(1).max(200).optional(),
      }),
      response: { 200: z.object({ items: z.array(identityView) }) },
    },
  }, async (req) => ({ items: await identities.search(req.query, actorOf(req)) }));

  app.get('/api/identities/:id', {
    schema: { tags, summary: 'Lire une identité', params: idParams, response: { 200: identityView } },
  }, async (req) => await identities.get(req.params.id, actorOf(req)));

  app.patch('/api/identities/:id', {
    schema: {
      tags, summary: 'Modifier des traits (un trait strict modifié retire la source INSi)', params: idParams,
      body: traits.partial().extend({ usedName: z.string().max(100).nullable().optional(), usedGivenName: z.string().max(100).nullable().optional() }),
      response: { 200: identityView },
    },
  }, async (req) => await identities.updateTraits(req.params.id, req.body, actorOf(req)));

  app.post('/api/identities/:id/proofs', {
    schema: {
      tags, summary: 'Enregistrer un justificatif d’identité vérifié', params: idParams,
      body: z.object({ type: z.enum(Object.keys(PROOF_TYPES) as [keyof typeof PROOF_TYPES]), expiresOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }),
      response: { 200: identityView },
    },
  }, async (req) => await identities.recordProof(req.params.id, req.body, actorOf(req)));

  app.delete('/api/identities/:id/proofs', {
    schema: { tags, summary: 'Retirer les justificatifs (doute, erreur)', params: idParams, body: z.object({ reason: z.string().min(1) }), response: { 200: identityView } },
  }, async (req) => await identities.withdrawProofs(req.params.id, req.body.reason, actorOf(req)));

  app.post('/api/identities/:id/insi', {
    schema: {
      tags, summary: 'Interroger INSi, comparer les traits et les adopter s’ils concordent', params: idParams,
      body: z.object({
        givenNames: z.array(z.string().min(1)).optional().describe('Prénoms lus sur le justificatif, dans l’ordre'),
        carteVitale: z.object({ matricule: z.string().regex(/^[0-9AB]{13}(\d{2})?$/).describe('Matricule du bénéficiaire lu sur la carte (13 ou 15 caractères)'), rank: z.number().int().min(1).max(9).optional() })
          .optional().describe('Recherche par carte Vitale (rechercherInsAvecCarteVitale) au lieu des traits'),
      }).optional(),
      response: {
        200: z.object({
          identity: identityView, outcome: z.enum(['00', '01', '02']), message: z.string(), adopted: z.boolean(), calls: z.number(),
          mismatches: z.array(z.object({ trait: z.string(), label: z.string(), local: z.string(), insi: z.string() })), warnings: z.array(z.string()),
        }),
      },
    },
  }, async (req) => await identities.qualifyWithInsi(req.params.id, req.body ?? {}, actorOf(req)));

  app.post('/api/identities/:id/insi/invalidate', {
    schema: { tags, summary: 'Invalider la source INSi (INS retiré)', params: idParams, body: z.object({ reason: z.string().min(1) }), response: { 200: identityView } },
  }, async (req) => await identities.invalidateInsi(req.params.id, req.body.reason, actorOf(req)));

  app.post('/api/identities/:id/attributes', {
    schema: {
      tags, summary: 'Poser ou lever les attributs douteuse, fictive, homonyme', params: idParams,
      body: z.object({ set: z.array(attribute).optional(), clear: z.array(attribute).optional() }), response: { 200: identityView },
    },
  }, async (req) => await identities.setAttributes(req.params.id, req.body, actorOf(req)));

  app.post('/api/identities/:id/merge', {
    schema: { tags, summary: 'Fusionner un doublon dans cette identité (A40)', params: idParams, body: z.object({ absorbedId: z.uuid() }), response: { 200: identityView } },
  }, async (req) => await identities.merge(req.params.id, req.body.absorbedId, actorOf(req)));

  app.get('/api/identities/:id/duplicates', {
    schema: { tags, summary: 'Doublons potentiels', params: idParams, response: { 200: z.object({ items: z.array(identityView) }) } },
  }, async (req) => ({ items: await identities.duplicatesOf(req.params.id, actorOf(req)) }));

  app.get('/api/identities/:id/proofs', {
    schema: { tags, summary: 'Justificatifs enregistrés', params: idParams },
  }, async (req) => {
    await audit(deps.db, { actor: actorOf(req), action: 'identity.read.proofs', subjectType: 'identity', subjectId: req.params.id });
    return { items: await identities.listProofs(req.params.id) };
  });

  app.get('/api/identities/:id/stays', {
    schema: { tags, summary: 'Séjours (PAM ITI-31)', params: idParams },
  }, async (req) => {
    await audit(deps.db, { actor: actorOf(req), action: 'identity.read.stays', subjectType: 'identity', subjectId: req.params.id });
    return { items: await staysOf(deps.db, req.params.id) };
  });

  app.post('/api/identities/:id/stays', {
    schema: {
      tags, summary: 'Enregistrer une admission ou une sortie (hors flux PAM)', params: idParams,
      body: z.object({
        nda: z.string().min(1).describe('Numéro de dossier administratif'),
        event: z.enum(['admission', 'sortie']).default('admission'),
        patientClass: z.enum(['I', 'O', 'E', 'R']).optional().describe('PV1-2 : hospitalisé, externe, urgences, séances'),
        admitAt: z.iso.datetime({ offset: true }).optional(), dischargeAt: z.iso.datetime({ offset: true }).optional(),
        medicalUnit: z.string().optional(),
      }),
    },
  }, async (req, reply) => {
    const actor = actorOf(req);
    await identities.get(req.params.id, actor);
    const { nda, event, ...move } = req.body;
    const stay = await applyStayMovement(deps.db, req.params.id, {
      trigger: event === 'sortie' ? 'A03' : 'A01', nda: { id: nda, authority: deps.ndaAuthority }, ...move,
    });
    await audit(deps.db, { actor, action: `stay.${event}`, subjectType: 'identity', subjectId: req.params.id, details: { stay: stay.id } });
    return reply.status(201).send(stay);
  });

  app.get('/api/identities/:id/audit', {
    schema: { tags, summary: 'Traçabilité des accès et modifications', params: idParams },
  }, async (req) => {
    const items = await auditTrailOf(deps.db, 'identity', req.params.id);
    await audit(deps.db, { actor: actorOf(req), action: 'identity.read.audit', subjectType: 'identity', subjectId: req.params.id });
    return { items };
  });
}
