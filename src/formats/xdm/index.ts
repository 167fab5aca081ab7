/**
 * IHE XDM archives (ITI-32, ZIP over e-mail; mssante.md §4) — pure, never throwing; archives
 * are written by our own in-memory ZIP writer (synchronous) and read with yauzl (streams, async):
 *
 * - `buildXdmArchive(input)` → `IHE_XDM.ZIP` bytes with README.TXT, INDEX.HTM and
 *   `IHE_XDM/SUBSET01/` (METADATA.XML built by formats/xds with XDM's URI and intendedRecipient
 *   slots, the CDA documents, optional readable PDFs);
 * - `xdmDocumentFromCda(bytes, { visibility })` → the CDA with its derived DocumentEntry;
 * - `buildXdmMetadata(input)` → METADATA.XML alone;
 * - `readXdmArchive(bytes)` → subsets, documents (CDA/PDF, integrity checked against the
 *   metadata), README/INDEX, warnings; lenient with real-world archives, bounded against zip bombs;
 * - layout constants (`XDM_ATTACHMENT_NAME`, `XDM_SUBSET`…), `readZip` / `writeZip`.
 */
export { buildXdmArchive, xdmDocumentFromCda, type XdmArchive, type XdmArchiveInput, type XdmDocument, type XdmReadme } from './build.ts';
export { buildXdmMetadata, type XdmMetadataInput } from './metadata.ts';
export { readXdmArchive, type XdmContent, type XdmFileKind, type XdmReadDocument, type XdmSubset } from './read.ts';
export { documentFileName, isIso9660Name, subsetPath, XDM_ATTACHMENT_NAME, XDM_INDEX, XDM_METADATA, XDM_README, XDM_ROOT, XDM_SUBSET } from './layout.ts';
export { DEFAULT_ZIP_LIMITS, normaliseZipPath, readZip, writeZip, type ZipEntryRead, type ZipInputFile, type ZipLimits, type ZipRead } from './zip.ts';
