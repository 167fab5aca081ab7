/**
 * The fixed layout of an IHE XDM archive (IHE ITI TF-1 §16.1.1, ITI TF-2b §3.32.4.1.4; mssante.md
 * §4): `README.TXT` and `INDEX.HTM` at the root, one folder per submission set under `IHE_XDM/`
 * holding `METADATA.XML` and the documents, named in ISO 9660 8.3 upper case.
 */
export const XDM_ROOT = 'IHE_XDM';
export const XDM_SUBSET = 'SUBSET01';
export const XDM_README = 'README.TXT';
export const XDM_INDEX = 'INDEX.HTM';
export const XDM_METADATA = 'METADATA.XML';
/** Name of the archive when attached to an MSSanté message (mssante.md §4). */
export const XDM_ATTACHMENT_NAME = 'IHE_XDM.zip';

export const subsetPath = (subset: string, file: string): string => `${XDM_ROOT}/${subset}/${file}`;

/** `DOC00001.XML`, `DOC00002.PDF`… */
export const documentFileName = (index: number, extension: 'XML' | 'PDF'): string => `DOC${String(index).padStart(5, '0')}.${extension}`;

/** An 8.3 upper-case ISO 9660 file name (d-characters). */
export const isIso9660Name = (name: string): boolean => /^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?$/.test(name);
