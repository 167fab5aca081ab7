import { describe, expect, it } from 'vitest';
import { patientAddress as patientMailbox } from '../national/mssante/index.ts';
import { planDispatches } from './routing.ts';

const INS = { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' };
const DOCTOR = 'jean.medecin@test.mssante.fr';

describe('routing of a validated document', () => {
  it('by default sends to the DMP, to every correspondent and to the patient', () => {
    const plan = planDispatches({ qualifiedIns: INS, professionalAddresses: [DOCTOR, ' Jean.Medecin@test.mssante.fr ', 'anne.autre@ch-x.mssante.fr'], choices: {} });
    expect(plan).toEqual({
      ok: true,
      value: [
        { channel: 'dmp', recipient: null, status: 'pending' },
        { channel: 'mssante-pro', recipient: DOCTOR, status: 'pending' },
        { channel: 'mssante-pro', recipient: 'anne.autre@ch-x.mssante.fr', status: 'pending' },
        { channel: 'mssante-patient', recipient: '279035121518989@patient.mssante.fr', status: 'pending' },
      ],
    });
    expect(patientMailbox(INS.matricule)).toBe('279035121518989@patient.mssante.fr');
  });

  it('blocks the DMP and the patient mailbox for an identity that is not qualified, and still sends to professionals', () => {
    const plan = planDispatches({ professionalAddresses: [DOCTOR], choices: {} });
    expect(plan.ok && plan.value.map((d) => [d.channel, d.status, d.reason])).toEqual([
      ['dmp', 'blocked', "identité non qualifiée : le DMP n'est alimenté que sur l'INS qualifiée"],
      ['mssante-pro', 'pending', undefined],
      ['mssante-patient', 'blocked', "identité non qualifiée : la messagerie patient est adressée par l'INS"],
    ]);
  });

  it('records a block by the user per channel', () => {
    const plan = planDispatches({ qualifiedIns: INS, professionalAddresses: [DOCTOR], choices: { blocked: ['dmp', 'mssante-patient'] } });
    expect(plan.ok && plan.value.map((d) => [d.channel, d.status, d.reason])).toEqual([
      ['dmp', 'blocked', "envoi bloqué par l'utilisateur"],
      ['mssante-pro', 'pending', undefined],
      ['mssante-patient', 'blocked', "envoi bloqué par l'utilisateur"],
    ]);
  });

  it('says when no correspondent has a mailbox', () => {
    const plan = planDispatches({ qualifiedIns: INS, professionalAddresses: [], choices: {} });
    expect(plan.ok && plan.value[1]).toEqual({ channel: 'mssante-pro', recipient: null, status: 'blocked', reason: 'aucun correspondant avec une messagerie MSSanté' });
  });

  it('refuses a document hidden from the patient and sent to the patient (TRANS regles-gestion-mssante)', () => {
    expect(planDispatches({ qualifiedIns: INS, professionalAddresses: [DOCTOR], choices: { invisibleToPatient: true } }))
      .toMatchObject({ ok: false, error: { field: 'distribution.invisibleToPatient' } });
    expect(planDispatches({ qualifiedIns: INS, professionalAddresses: [DOCTOR], choices: { invisibleToPatient: true, blocked: ['mssante-patient'] } }))
      .toMatchObject({ ok: true });
  });

  it('refuses masking when sending to professionals and to the patient', () => {
    for (const choices of [{ maskedToProfessionals: true }, { invisibleToLegalRepresentatives: true }]) {
      expect(planDispatches({ qualifiedIns: INS, professionalAddresses: [DOCTOR], choices })).toMatchObject({ ok: false, error: { field: 'distribution' } });
    }
    expect(planDispatches({ qualifiedIns: INS, professionalAddresses: [], choices: { maskedToProfessionals: true } })).toMatchObject({ ok: true });
  });

  it('refuses addresses outside the MSSanté space of trust and patient addresses among correspondents', () => {
    expect(planDispatches({ qualifiedIns: INS, professionalAddresses: ['jean@gmail.com'], choices: {} })).toMatchObject({ ok: false, error: { field: 'recipients' } });
    expect(planDispatches({ qualifiedIns: INS, professionalAddresses: ['279035121518989@patient.mssante.fr'], choices: {} })).toMatchObject({ ok: false, error: { field: 'recipients' } });
  });
});
