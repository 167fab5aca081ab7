/**
 * INSi result codes and fault codes with the French messages shown to hospital staff
 * (identity.md §6.4; TLSI `insi-fetch-ins.models.ts`, `insi-helper.ts`).
 */

/** CodeCR of RESULTAT/CR. */
export const INSI_RESULT = {
  found: '00',
  notFound: '01',
  several: '02',
} as const;
export type InsiResultCode = (typeof INSI_RESULT)[keyof typeof INSI_RESULT];

/** LibelleCR exactly as the service writes it (ASCII, no accents). */
export const INSI_RESULT_LABEL: Record<InsiResultCode, string> = {
  '00': 'OK',
  '01': 'Aucune identite trouvee',
  '02': 'Plusieurs identites trouvees',
};

/** French messages for staff. */
export const INSI_RESULT_MESSAGE: Record<InsiResultCode, string> = {
  '00': 'Identité trouvée par le téléservice INSi.',
  '01': "Aucune identité trouvée par le téléservice INSi avec ces traits. Vérifiez la saisie (nom de naissance, prénoms, date de naissance, sexe, lieu de naissance) au regard de la pièce d'identité.",
  '02': 'Le téléservice INSi a trouvé plusieurs identités correspondant à ces traits. Précisez la recherche : saisissez tous les prénoms de naissance et le lieu de naissance.',
};

/**
 * Error codes of InsiError. Service codes (siram_NN in the SOAP Subcode, desir_NNN / insi_NNN
 * in Detail/Erreur@code) keep the case the service uses (`desir_550` but `DESIR_560`);
 * lookups are case-insensitive. `transport`, `timeout`-like failures and unreadable answers
 * are ours.
 */
const FAULT_MESSAGES: Record<string, string> = {
  desir_560: "Le certificat présenté n'est pas un certificat INSi (CN attendu INSI-AUTO ou INSI-MANU)",
  desir_550: "Logiciel inconnu du téléservice INSi : le numéro d'autorisation (IDAM) envoyé n'est pas reconnu. Vérifiez le paramétrage INSi de l'établissement.",
  siram_100: "Logiciel non autorisé à appeler le téléservice INSi (IDAM refusé). Vérifiez le paramétrage INSi de l'établissement.",
  siram_40: 'Le téléservice INSi est temporairement indisponible. Réessayez dans quelques minutes.',
  insi_102: "Erreur technique du téléservice INSi. Réessayez plus tard ; si l'erreur persiste, contactez le support.",
  actionnotsupported: "Opération inconnue du téléservice INSi : la version du logiciel n'est peut-être plus compatible.",
  messageaddressingheaderrequired: 'Requête INSi incomplète : en-tête WS-Addressing manquant. Contactez le support.',
  invalidaddressingheader: 'Requête INSi incorrecte : en-tête WS-Addressing invalide. Contactez le support.',
  versionmismatch: 'Le téléservice INSi a refusé la version SOAP de la requête. Contactez le support.',
  sender: 'Le téléservice INSi a refusé la requête comme incorrecte. Contactez le support.',
  receiver: 'Le téléservice INSi a rencontré une erreur. Réessayez plus tard.',
  transport: 'Le téléservice INSi est injoignable (connexion ou échange TLS impossible). Vérifiez le réseau et le certificat INSi.',
  timeout: "Le téléservice INSi n'a pas répondu dans le délai imparti. Réessayez plus tard.",
  protocol: 'Réponse illisible du téléservice INSi. Contactez le support.',
  invalid_request: 'Traits invalides pour une recherche INSi.',
};

/** Codes after which the same call may succeed later. */
const RETRYABLE = new Set(['siram_40', 'insi_102', 'transport', 'receiver']);

export function insiFaultMessage(code: string, reason?: string): string {
  const known = FAULT_MESSAGES[code.toLowerCase()];
  if (known) return known;
  return `Le téléservice INSi a refusé la requête (code ${code})${reason ? ` : ${reason}` : ''}.`;
}

export const isRetryable = (code: string): boolean => RETRYABLE.has(code.toLowerCase());

/** What the sandbox (and the real service, as far as public sources say) writes in the fault Reason. */
export const SERVICE_FAULT_REASON = {
  DESIR_560: 'Vous ne disposez pas des droits suffisants pour accéder à ce service',
  desir_550: "Le logiciel n'est pas autorise a acceder a ce service (IDAM inconnu)",
  insi_102: 'Erreur technique',
} as const;
