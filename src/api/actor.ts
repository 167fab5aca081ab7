/**
 * Who is calling. Until Pro Santé Connect login lands (DPI issue), the caller names itself in
 * `X-Passerelle-User`; every access is audited under that name.
 */
import type { FastifyRequest } from 'fastify';

export function actorOf(request: FastifyRequest): string {
  const header = request.headers['x-passerelle-user'];
  const name = (Array.isArray(header) ? header[0] : header)?.trim();
  return name && /^[\w.@:-]{1,100}$/.test(name) ? `user:${name}` : 'user:anonymous';
}
