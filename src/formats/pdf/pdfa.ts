/**
 * A PDF/A-2b file (ISO 19005-2, level B) from laid-out pages and their fonts:
 * - PDF 1.7, binary comment, cross-reference table, /ID in the trailer (§6.1.2–6.1.4);
 * - an sRGB output intent (GTS_PDFA1) for the DeviceRGB colours used (§6.2.3);
 * - every font embedded (§6.2.11, see embedded-font.ts);
 * - XMP metadata, uncompressed, with the PDF/A identification (pdfaid:part 2, conformance B)
 *   and the same title, author, subject, creator tool, producer and creation date as the
 *   document information dictionary (§6.6.2, §6.6.3);
 * - no encryption, no transparency, no JavaScript, no external content.
 * The catalog also carries the document language and asks viewers to show the title.
 */
import { deflateSync } from 'node:zlib';
import { escapeText } from '../xml.ts';
import type { EmbeddedFont } from './embedded-font.ts';
import { dateString, num, PdfFile, ref, textString } from './file.ts';
import type { PageContent } from './page.ts';
import { srgbProfile } from './srgb-profile.ts';

export interface DocumentInfo {
  title: string;
  author: string;
  subject: string;
  creator: string;
  producer: string;
  creationDate: Date;
  /** BCP 47, e.g. fr-FR. */
  language: string;
}

const OUTPUT_CONDITION = 'sRGB IEC61966-2.1';

let deflatedProfile: Buffer | undefined;

/** The XMP packet (ISO 16684-1) describing the document, as PDF/A requires. */
export function xmpMetadata(info: DocumentInfo): string {
  const created = `${info.creationDate.toISOString().slice(0, 19)}Z`;
  return `<?xpacket begin="\u{feff}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeText(info.title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>${escapeText(info.author)}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeText(info.subject)}</rdf:li></rdf:Alt></dc:description>
<dc:language><rdf:Bag><rdf:li>${escapeText(info.language)}</rdf:li></rdf:Bag></dc:language>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreateDate>${created}</xmp:CreateDate>
<xmp:CreatorTool>${escapeText(info.creator)}</xmp:CreatorTool>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>${escapeText(info.producer)}</pdf:Producer>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}

/** Writes the whole file: fonts, pages, output intent, metadata, catalog, information. */
export function writePdfA(pages: readonly PageContent[], fonts: readonly EmbeddedFont[], info: DocumentInfo): Uint8Array {
  const file = new PdfFile();
  const catalog = file.reserve();
  const pageTree = file.reserve();
  const fontRefs = fonts.map((font) => `/${font.resourceName} ${ref(font.write(file))}`).join(' ');
  const resources = file.object(`<< /Font << ${fontRefs} >> >>`);
  const kids = pages.map((page) => {
    const contents = file.stream('', Buffer.from(page.toString(), 'latin1'), { compress: true });
    return file.object(`<< /Type /Page /Parent ${ref(pageTree)} /MediaBox [0 0 ${num(page.width)} ${num(page.height)}] /Resources ${ref(resources)} /Contents ${ref(contents)} >>`);
  });
  file.object(`<< /Type /Pages /Kids [${kids.map(ref).join(' ')}] /Count ${kids.length} >>`, pageTree);

  deflatedProfile ??= deflateSync(srgbProfile());
  const profile = file.stream(' /N 3', deflatedProfile, { deflated: true });
  const outputIntent = file.object(`<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier ${textString(OUTPUT_CONDITION)} /Info ${textString(OUTPUT_CONDITION)} /DestOutputProfile ${ref(profile)} >>`);
  const metadata = file.stream(' /Type /Metadata /Subtype /XML', Buffer.from(xmpMetadata(info), 'utf8'));
  file.object(`<< /Type /Catalog /Pages ${ref(pageTree)} /Metadata ${ref(metadata)} /OutputIntents [${ref(outputIntent)}] /Lang ${textString(info.language)} /ViewerPreferences << /DisplayDocTitle true >> >>`, catalog);
  const infoRef = file.object(`<< /Title ${textString(info.title)} /Author ${textString(info.author)} /Subject ${textString(info.subject)} /Creator ${textString(info.creator)} /Producer ${textString(info.producer)} /CreationDate ${dateString(info.creationDate)} >>`);
  return file.toBytes({ root: catalog, info: infoRef });
}
