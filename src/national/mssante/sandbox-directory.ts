/**
 * The sandbox's directory of MSSanté mailboxes (mssante.md §3, §8): types PER, ORG, APP, CAB and
 * PAT (Mon espace santé), status open or closed, the certificate CN that authenticates an
 * applicative mailbox, an optional password for personal ones (IMAP login of a mail client),
 * and a test behaviour: answer every document message with an MDN (processed, or error 9xx).
 *
 * Defaults: the establishment's applicative mailbox, a laboratory's, three professionals (one
 * answering MDN "processed", one answering 902), a closed mailbox, the Mon espace santé test
 * address, and `<matricule>@patient.mssante.fr` for every identity of the INSi sandbox dataset.
 */
import { CLIENT_IDENTITIES } from '../../platform/pki/index.ts';
import { sandboxDataset } from '../insi/index.ts';
import { AUTO_REPLY_TEST_ADDRESS, matriculeOfPatientAddress, normaliseAddress, patientAddress } from './addresses.ts';
import type { MdnProcessingCode } from './receipts.ts';

export type MailboxType = 'PER' | 'ORG' | 'APP' | 'CAB' | 'PAT';

export interface SandboxMailbox {
  address: string;
  type: MailboxType;
  status: 'open' | 'closed';
  displayName?: string;
  /** CN of the client certificate allowed to send from / read this mailbox without password. */
  certificateCn?: string;
  /** IMAP / SMTP login password (personal mailboxes used from a mail client). */
  password?: string;
  /** Answer each received document message carrying Disposition-Notification-To with this MDN. */
  mdn?: 'processed' | MdnProcessingCode;
}

export const SANDBOX_HOSPITAL_MAILBOX = 'passerelle@ch-test.mssante.fr';
export const SANDBOX_LAB_MAILBOX = 'laboratoire@labo-test.mssante.fr';
/** CN of the certificate a test laboratory presents (issue it from the test CA). */
export const SANDBOX_LAB_CERTIFICATE_CN = 'LABORATOIRE DE TEST';
export const SANDBOX_PROFESSIONAL = 'adam.hoda@test-ci-sis.mssante.fr';
export const SANDBOX_PROFESSIONAL_MDN = 'thomas.eric@medecin.mssante.fr';
export const SANDBOX_PROFESSIONAL_MDN_902 = 'integration.ko@test-ci-sis.mssante.fr';
export const SANDBOX_CLOSED_MAILBOX = 'ancien.medecin@test-ci-sis.mssante.fr';
/** Password of the sandbox's personal mailboxes (mail client login). */
export const SANDBOX_PASSWORD = 'sandbox';

export function defaultMailboxes(): SandboxMailbox[] {
  return [
    { address: SANDBOX_HOSPITAL_MAILBOX, type: 'APP', status: 'open', displayName: 'CH de test - Passerelle', certificateCn: CLIENT_IDENTITIES.establishment },
    { address: SANDBOX_LAB_MAILBOX, type: 'APP', status: 'open', displayName: 'Laboratoire de test', certificateCn: SANDBOX_LAB_CERTIFICATE_CN },
    { address: SANDBOX_PROFESSIONAL, type: 'PER', status: 'open', displayName: 'Dr Adam HODA', password: SANDBOX_PASSWORD },
    { address: SANDBOX_PROFESSIONAL_MDN, type: 'PER', status: 'open', displayName: 'Dr Eric THOMAS', password: SANDBOX_PASSWORD, mdn: 'processed' },
    { address: SANDBOX_PROFESSIONAL_MDN_902, type: 'ORG', status: 'open', displayName: 'Cabinet de test (intégration KO)', password: SANDBOX_PASSWORD, mdn: 902 },
    { address: SANDBOX_CLOSED_MAILBOX, type: 'PER', status: 'closed', displayName: 'Dr Ancien MEDECIN' },
  ];
}

export interface SandboxDirectory {
  find(address: string): SandboxMailbox | undefined;
  all(): SandboxMailbox[];
  /** Mailboxes a certificate CN opens without password. */
  ofCertificate(cn: string): SandboxMailbox[];
}

export function createSandboxDirectory(extra: SandboxMailbox[] = [], options: { patients?: boolean } = {}): SandboxDirectory {
  const boxes = new Map<string, SandboxMailbox>();
  for (const m of [...defaultMailboxes(), ...extra]) boxes.set(normaliseAddress(m.address), { ...m, address: normaliseAddress(m.address) });
  const patients = new Set(options.patients === false ? [] : sandboxDataset().map((i) => i.matricule.toUpperCase()));
  return {
    find(address) {
      const a = normaliseAddress(address ?? '');
      const known = boxes.get(a);
      if (known) return known;
      if (a === AUTO_REPLY_TEST_ADDRESS) return { address: a, type: 'PAT', status: 'open', displayName: 'Mon espace santé - test' };
      const matricule = matriculeOfPatientAddress(a);
      if (matricule && patients.has(matricule)) return { address: patientAddress(matricule)!.toLowerCase(), type: 'PAT', status: 'open' };
      return undefined;
    },
    all: () => [...boxes.values()],
    ofCertificate: (cn) => [...boxes.values()].filter((m) => m.certificateCn === cn),
  };
}
