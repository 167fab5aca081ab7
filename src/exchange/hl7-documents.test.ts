import { describe, expect, it } from 'vitest';
import { zamsFor } from './hl7-documents.ts';
import type { Dispatch, DispatchStatusChange, OutgoingHeader } from './service.ts';

const at = new Date('2026-01-01T10:00:00Z');
const dispatch = (channel: Dispatch['channel'], status: Dispatch['status'], recipient = ''): Dispatch => ({
  id: 'd1', outgoingId: 'o1', channel, recipient, status, reason: null, errorCode: null, attempts: 1, externalId: null,
  createdAt: at, updatedAt: at, sentAt: null, deliveredAt: null, readAt: null,
});
const change = (d: Dispatch, status: Dispatch['status'], extra: Partial<DispatchStatusChange> = {}): DispatchStatusChange =>
  ({ dispatch: d, outgoing: {} as OutgoingHeader, status, at, ...extra });
const PRO = 'adam.hoda@test-ci-sis.mssante.fr';

describe('zamsFor: which business acknowledgement a dispatch status change calls for', () => {
  it('DMP accepted or refused: Z01 Y, or Z01 N with the DMP error code (ERR-3 207)', () => {
    expect(zamsFor(change(dispatch('dmp', 'pending'), 'delivered'))).toEqual([{ type: 'Z01', success: true }]);
    expect(zamsFor(change(dispatch('dmp', 'pending'), 'failed', { errorCode: 'DMPClosed', reason: 'DMP fermé' }))).toEqual([
      { type: 'Z01', success: false, error: { code: 207, applicationError: { code: 'DMPClosed', text: 'DMP fermé' } } },
    ]);
    expect(zamsFor(change(dispatch('dmp', 'pending'), 'sent'))).toEqual([]);
  });

  it('MSSanté: Z02 from the DSN (SMTP reply code on failure), Z03 from the MDN; an MDN before any DSN also tells delivery', () => {
    const recipient = { address: PRO };
    expect(zamsFor(change(dispatch('mssante-pro', 'pending', PRO), 'sent'))).toEqual([]);
    expect(zamsFor(change(dispatch('mssante-pro', 'sent', PRO), 'delivered'))).toEqual([{ type: 'Z02', success: true, recipient }]);
    expect(zamsFor(change(dispatch('mssante-pro', 'sent', PRO), 'failed', { receipt: 'dsn', errorCode: '5.1.1', reason: 'DSN failed 5.1.1 : 550 5.1.1 unknown' }))).toMatchObject([
      { type: 'Z02', success: false, recipient, error: { applicationError: { code: '550' } } },
    ]);
    expect(zamsFor(change(dispatch('mssante-pro', 'sent', PRO), 'failed', { errorCode: '4.2.2' }))).toMatchObject([{ type: 'Z02', error: { applicationError: { code: '451' } } }]);
    expect(zamsFor(change(dispatch('mssante-pro', 'sent', PRO), 'read')).map((z) => [z.type, z.success])).toEqual([['Z02', true], ['Z03', true]]);
    expect(zamsFor(change(dispatch('mssante-pro', 'delivered', PRO), 'read')).map((z) => [z.type, z.success])).toEqual([['Z03', true]]);
    expect(zamsFor(change(dispatch('mssante-pro', 'delivered', PRO), 'failed', { receipt: 'mdn', errorCode: '902' }))).toMatchObject([
      { type: 'Z03', success: false, error: { applicationError: { code: '902' } } },
    ]);
  });
});
