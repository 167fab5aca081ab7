/** Operations API: outbox backlog (PAM feeds), dead letters, HL7 messages waiting for attention. */
import { z } from 'zod';
import type { Database } from '../platform/db/index.ts';
import type { Inbox } from '../platform/hl7-inbox/index.ts';
import { HttpProblem, type HttpServer } from '../platform/http/index.ts';
import { deadLetters, orderingKeyStats, queueStats, retryDead } from '../platform/jobs/index.ts';
import type { PamSubscriberConfig } from '../platform/config.ts';
import { PAM_FEED_QUEUE } from '../identity/index.ts';

export function registerOperationsRoutes(app: HttpServer, deps: { db: Database; inbox: Inbox; wake: () => void; subscribers: PamSubscriberConfig[] }): void {
  const tags = ['exploitation'];
  app.get('/api/pam/subscribers', {
    schema: { tags, summary: 'Abonnés PAM (DPI, SGL, RIS) et leur file d’attente' },
  }, async () => {
    const stats = await orderingKeyStats(deps.db, PAM_FEED_QUEUE);
    const empty = { pending: 0, running: 0, dead: 0, done: 0, oldestPendingAt: null };
    return {
      items: deps.subscribers.map((s) => ({ name: s.name, host: s.host, port: s.port, ...(stats.get(`pam:${s.name}`) ?? empty) })),
    };
  });

  app.get('/api/outbox', {
    schema: { tags, summary: 'Files d’envoi : en attente, en cours, en échec définitif, par file' },
  }, async () => ({ queues: await queueStats(deps.db) }));

  app.get('/api/outbox/dead-letters', {
    schema: { tags, summary: 'Envois en échec définitif, avec leur erreur' },
  }, async () => ({ items: await deadLetters(deps.db) }));

  app.post('/api/outbox/jobs/:id/retry', {
    schema: { tags, summary: 'Relancer un envoi en échec définitif', params: z.object({ id: z.coerce.number().int().positive() }) },
  }, async (req) => {
    if (!(await retryDead(deps.db, req.params.id))) throw new HttpProblem(404, 'Envoi introuvable ou pas en échec', `job ${req.params.id}`);
    deps.wake();
    return { retried: req.params.id };
  });

  app.get('/api/hl7/inbox', {
    schema: { tags, summary: 'Messages HL7 reçus en erreur ou rejetés (conservés pour rejeu)' },
  }, async () => ({ items: await deps.inbox.pending() }));

  app.post('/api/hl7/inbox/:id/replay', {
    schema: { tags, summary: 'Rejouer un message HL7 conservé', params: z.object({ id: z.coerce.number().int().positive() }) },
  }, async (req) => {
    try {
      return { ack: await deps.inbox.replay(req.params.id) };
    } catch {
      throw new HttpProblem(404, 'Message HL7 introuvable', `message ${req.params.id}`);
    }
  });
}
