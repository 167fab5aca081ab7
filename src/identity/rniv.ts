/**
 * RNIV identity statuses and attributes (identity.md §5), as a pure state machine.
 *
 * The status is derived from three facts, so that every transition and demotion of the
 * RNIV table follows from the events that change those facts:
 *   - insi: the traits come from INSi (00 compared and adopted) and were not edited since;
 *   - proof: a high-trust identity document was checked and not withdrawn;
 *   - a douteuse or fictive attribute holds the identity at provisoire whatever its evidence.
 *
 *   PROV ──INSi 00 adopted──► RECUP ──high-trust proof──► QUAL
 *   PROV ──high-trust proof──► VALI ──INSi 00 adopted───► QUAL
 *   QUAL ──INSi invalidated──► VALI;  QUAL ──proof withdrawn──► RECUP;  any ──DOUT/FICT──► PROV
 *
 * Only QUAL may carry and emit the matricule INS (RNIV EXI SI 08).
 */

export type IdentityStatus = 'PROV' | 'RECUP' | 'VALI' | 'QUAL';
export type IdentityAttribute = 'DOUT' | 'FICT' | 'HOMA' | 'HOMD';

export const STATUS_LABEL: Record<IdentityStatus, string> = {
  PROV: 'Identité provisoire',
  RECUP: 'Identité récupérée',
  VALI: 'Identité validée',
  QUAL: 'Identité qualifiée',
};

export const ATTRIBUTE_LABEL: Record<IdentityAttribute, string> = {
  DOUT: 'Identité douteuse',
  FICT: 'Identité fictive',
  HOMA: 'Homonyme avéré',
  HOMD: 'Homonyme détecté',
};

export interface RnivFacts {
  insiVerified: boolean;
  highTrustProof: boolean;
  attributes: readonly IdentityAttribute[];
}

export function deriveStatus(facts: RnivFacts): IdentityStatus {
  if (facts.attributes.includes('DOUT') || facts.attributes.includes('FICT')) return 'PROV';
  if (facts.insiVerified && facts.highTrustProof) return 'QUAL';
  if (facts.highTrustProof) return 'VALI';
  if (facts.insiVerified) return 'RECUP';
  return 'PROV';
}

export type RnivEvent =
  | { type: 'insiAdopted' }
  | { type: 'insiInvalidated' }
  | { type: 'proofChecked'; highTrust: boolean }
  | { type: 'proofWithdrawn' }
  | { type: 'attributeSet'; attribute: IdentityAttribute }
  | { type: 'attributeCleared'; attribute: IdentityAttribute }
  /** A strict trait (birth name, birth prénoms, birth date, sex, birthplace) edited by hand. */
  | { type: 'strictTraitEdited' };

export function applyEvent(facts: RnivFacts, event: RnivEvent): RnivFacts {
  switch (event.type) {
    case 'insiAdopted': return { ...facts, insiVerified: true };
    case 'insiInvalidated': return { ...facts, insiVerified: false };
    case 'strictTraitEdited': return { ...facts, insiVerified: false };
    case 'proofChecked': return { ...facts, highTrustProof: facts.highTrustProof || event.highTrust };
    case 'proofWithdrawn': return { ...facts, highTrustProof: false };
    case 'attributeSet':
      return facts.attributes.includes(event.attribute) ? facts : { ...facts, attributes: [...facts.attributes, event.attribute] };
    case 'attributeCleared': return { ...facts, attributes: facts.attributes.filter((a) => a !== event.attribute) };
  }
}

/** PID-32 first repetition: RECUP and QUAL have no HL7 v2 code (identity.md §7.4). */
export const pid32Status = (status: IdentityStatus): 'PROV' | 'VALI' => (status === 'VALI' || status === 'QUAL' ? 'VALI' : 'PROV');

/** Only a qualified identity may carry or emit its matricule INS. */
export const mayShareIns = (status: IdentityStatus): boolean => status === 'QUAL';

/**
 * Identity documents (ZFD-7 codes, PAM §6.17) and their trust level. High trust per RNIV:
 * passport, national identity card, residence permit, ApCV, eIDAS substantial/high; birth
 * certificate and livret de famille count for minors only. Others are low-trust.
 */
export const PROOF_TYPES = {
  PA: { label: 'Passeport', trust: 'high' },
  CN: { label: "Carte nationale d'identité", trust: 'high' },
  CS: { label: 'Titre de séjour', trust: 'high' },
  AV: { label: 'Application carte Vitale (ApCV)', trust: 'high' },
  IE: { label: 'Identité numérique eIDAS', trust: 'high' },
  AN: { label: 'Extrait d’acte de naissance', trust: 'minor' },
  LE: { label: 'Livret de famille', trust: 'minor' },
  PC: { label: 'Permis de conduire', trust: 'low' },
  CC: { label: 'Carte de circulation', trust: 'low' },
  CE: { label: 'Carte européenne', trust: 'low' },
  CM: { label: 'Carte militaire', trust: 'low' },
  TC: { label: 'Tiers de confiance', trust: 'low' },
  DC: { label: 'Document de circulation', trust: 'low' },
  AC: { label: 'Autre document', trust: 'low' },
} as const satisfies Record<string, { label: string; trust: 'high' | 'minor' | 'low' }>;

export type ProofType = keyof typeof PROOF_TYPES;

/** Whether a document of this type, checked on `checkedOn` for a person born on `birthDate`, is high-trust. */
export function isHighTrust(type: ProofType, birthDate: string, checkedOn: Date): boolean {
  const trust = PROOF_TYPES[type].trust;
  if (trust !== 'minor') return trust === 'high';
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const eighteenth = new Date(Date.UTC(y + 18, Math.max(0, m - 1), Math.max(1, d)));
  return checkedOn < eighteenth;
}
