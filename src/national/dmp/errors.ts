/**
 * The one error type of the DMP client. `code` names the cause precisely:
 *
 * - an IHE XDS.b registry/repository error code (IHE ITI TF-3 §4.2.4.1, e.g.
 *   `XDSDuplicateUniqueIdInRegistry`), as found in `RegistryError@errorCode`;
 * - a code of the local sandbox, prefixed `SANDBOX_`, where the DMP's own codes (annex A7-1 of
 *   DMPi) are not public (dmp.md §9) — plus `DMPClosed`, the one public DMP code;
 * - a SOAP 1.2 fault code or WS-Addressing subcode (`Sender`, `ActionNotSupported`…);
 * - ours: `transport`, `timeout`, `protocol`, `http`, `invalid_request`, `not_found`.
 *
 * `message` is French, for hospital staff; `reason` is the service's own text (codeContext or
 * fault reason) when there is one. Carries no patient trait.
 */
import { DomainError } from '../../platform/errors.ts';

/** French messages per code. */
export const DMP_ERROR_MESSAGES: Record<string, string> = {
  // IHE ITI TF-3 §4.2.4.1
  XDSRegistryMetadataError: 'Les métadonnées du document sont refusées par le DMP (incomplètes ou hors des jeux de valeurs).',
  XDSDuplicateUniqueIdInRegistry: 'Ce document (même identifiant unique) est déjà présent dans le DMP : utilisez le remplacement.',
  XDSNonIdenticalHash: "L'empreinte (SHA-1) ou la taille déclarée ne correspond pas au document envoyé.",
  XDSNonIdenticalSize: "La taille déclarée ne correspond pas au document envoyé.",
  XDSUnknownPatientId: "Aucun DMP n'existe pour ce patient (INS inconnu du DMP).",
  XDSPatientIdDoesNotMatch: "L'INS du document ne correspond pas à celui du lot de soumission ou du document remplacé.",
  XDSMetadataVersionError: "La version des métadonnées ne correspond pas à la version courante du document dans le DMP (modification concurrente ?).",
  XDSMissingDocument: 'Un document décrit par les métadonnées est absent de la soumission.',
  XDSMissingDocumentMetadata: "Un document joint n'est décrit par aucune métadonnée.",
  XDSDocumentUniqueIdError: 'Document introuvable dans le DMP.',
  XDSUnknownRepositoryId: "L'entrepôt de documents demandé est inconnu du DMP.",
  XDSUnknownStoredQuery: 'Recherche non prise en charge par le DMP.',
  XDSStoredQueryParamNumber: 'Paramètres de recherche DMP invalides.',
  XDSStoredQueryMissingParam: 'Paramètre de recherche DMP obligatoire manquant.',
  XDSTooManyResults: 'Trop de résultats : affinez la recherche dans le DMP.',
  XDSRegistryError: 'Erreur interne du registre DMP.',
  XDSRepositoryError: "Erreur interne de l'entrepôt DMP.",
  XDSRegistryBusy: 'Le registre DMP est momentanément surchargé : nouvel essai plus tard.',
  XDSRepositoryBusy: "L'entrepôt DMP est momentanément surchargé : nouvel essai plus tard.",
  UnresolvedReferenceException: 'Un document auquel la soumission fait référence (à remplacer, à modifier ou associé) est introuvable dans le DMP.',
  // The one DMP-specific code made public (dmp.md §9)
  DMPClosed: 'Le DMP de ce patient est fermé : aucun document ne peut y être ajouté.',
  // Sandbox placeholders for the non-public DMP codes (dmp.md §9)
  SANDBOX_VIHF_MISSING: "Jeton VIHF absent : l'appel au DMP doit porter l'assertion SAML signée de la structure.",
  SANDBOX_VIHF_INVALID: 'Jeton VIHF refusé : signature invalide ou attributs manquants.',
  SANDBOX_VIHF_UNTRUSTED: "Jeton VIHF refusé : le certificat de signature n'est pas émis par l'IGC-Santé.",
  SANDBOX_VIHF_EXPIRED: 'Jeton VIHF expiré ou pas encore valide.',
  SANDBOX_INS_INVALID: "L'identifiant patient n'est pas un INS qualifié valide (matricule ou OID INS).",
  SANDBOX_INS_PRODUCTION_OID: "INS de production refusé par le bac à sable DMP : utilisez un INS de test (OID 1.2.250.1.213.1.4.10) ou de démonstration (…4.11).",
  SANDBOX_DMP_OPPOSED: "Le patient s'est opposé à la création de son DMP : aucun document ne peut y être ajouté.",
  SANDBOX_SIGNATURE_MISSING: 'Document de signature (XAdES) du lot de soumission absent.',
  SANDBOX_SIGNATURE_INVALID: 'Document de signature (XAdES) du lot de soumission invalide.',
  SANDBOX_RPLC_NOT_APPROVED: "Le document à remplacer n'est plus actif dans le DMP (déjà remplacé, archivé ou supprimé).",
  SANDBOX_ALREADY_VISIBLE_TO_PATIENT: 'Ce document a déjà été rendu visible au patient : il ne peut plus lui être masqué.',
  SANDBOX_INVISIBLE_PATIENT_AT_SUBMISSION_ONLY: "Un document ne peut être rendu invisible au patient qu'à son dépôt (en attente d'annonce).",
  SANDBOX_NOT_AUTHOR: "Seule la structure auteur du document peut effectuer cette action.",
  SANDBOX_STATUS_TRANSITION: 'Changement de statut impossible pour ce document.',
  SANDBOX_ACCESS_DENIED: "Accès refusé : ce document n'est pas accessible à l'utilisateur.",
  SANDBOX_UNSUPPORTED: "Requête non prise en charge par le bac à sable DMP.",
  // Ours
  transport: 'Le DMP est injoignable (erreur réseau).',
  timeout: "Le DMP n'a pas répondu à temps.",
  unavailable: 'Le DMP est momentanément indisponible.',
  protocol: 'Réponse du DMP illisible ou inattendue. Contactez le support.',
  http: 'Le DMP a répondu par une erreur HTTP.',
  invalid_request: 'Demande au DMP invalide.',
  not_found: 'Document introuvable dans le DMP.',
  Sender: 'Le DMP a refusé la requête (erreur côté émetteur). Contactez le support.',
  Receiver: 'Erreur technique du DMP : nouvel essai plus tard.',
  MustUnderstand: 'Le DMP ne comprend pas un en-tête SOAP obligatoire. Contactez le support.',
  VersionMismatch: 'Version SOAP refusée par le DMP. Contactez le support.',
};

const RETRYABLE = new Set(['transport', 'timeout', 'unavailable', 'Receiver', 'XDSRegistryBusy', 'XDSRepositoryBusy', 'XDSRegistryOutOfResources', 'XDSRepositoryOutOfResources']);

/** True when the same call may succeed later (network, timeout, service busy or down). */
export const isRetryable = (code: string): boolean => RETRYABLE.has(code);

/** The French message of a code (generic when the code is unknown). */
export const dmpErrorMessage = (code: string): string => DMP_ERROR_MESSAGES[code] ?? `Le DMP a refusé la demande (code ${code}).`;

export interface DmpErrorOptions {
  /** The service's own text (codeContext, fault reason). */
  reason?: string;
  /** Location of the error (RegistryError@location). */
  location?: string;
  httpStatus?: number;
  messageId?: string;
  /** Further errors of the same answer (RegistryErrorList beyond the first). */
  others?: Array<{ code: string; reason?: string }>;
  cause?: unknown;
}

export class DmpError extends DomainError {
  override readonly name = 'DmpError';
  readonly reason?: string;
  readonly location?: string;
  readonly httpStatus?: number;
  readonly messageId?: string;
  readonly others: Array<{ code: string; reason?: string }>;
  /** True when the same call may succeed later (DMP unreachable, slow, busy). */
  readonly retryable: boolean;

  constructor(code: string, message?: string, options: DmpErrorOptions = {}) {
    const status = code === 'invalid_request' ? 400 : code === 'not_found' ? 404 : 502;
    super(code, message ?? dmpErrorMessage(code), status, { retryable: isRetryable(code) }, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.location !== undefined) this.location = options.location;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.messageId !== undefined) this.messageId = options.messageId;
    this.others = options.others ?? [];
    this.retryable = isRetryable(code);
  }

  override get title(): string {
    return this.status === 400 ? 'Demande au DMP invalide' : 'Échec de l’échange avec le DMP';
  }
}
