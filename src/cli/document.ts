/**
 * `passerelle document render`: writes <dir>/<type>.pdf and <dir>/<type>.xml (CDA R2 N1) for
 * the demo patient (--demo) or for the patient and stay of a JSON file (--patient).
 * `passerelle document check <file.xml>`: the official CDA XSD and the CI-SIS header rules;
 * prints each error with its location; exit 0 when it conforms, 1 when not, 2 when unreadable.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { checkCda, parseCda, PRODUCED_DOCUMENT_TYPE_KEYS, type DocumentTypeKey } from '../formats/cda/index.ts';
import { valueSetLookup } from '../formats/terminology/index.ts';
import type { Identity } from '../identity/index.ts';
import { loadConfig } from '../platform/config.ts';
import { loadXsd } from '../platform/xsd.ts';
import { composeExitDocument, newDocumentOid } from '../record/compose.ts';
import { DEMO_PATIENT, DEMO_PHYSICIAN, DEMO_SECTIONS, DEMO_STAY } from '../record/demo.ts';

const professional = z.object({ rpps: z.string().regex(/^\d{11}$/), family: z.string().min(1), given: z.string().optional(), specialty: z.string().min(1) });

/** The `--patient` file: the patient (with the INS only if qualified), the stay, optionally author and text. */
const patientFile = z.object({
  patient: z.object({
    ipp: z.string().min(1),
    birthName: z.string().min(1),
    birthGivenNames: z.string().min(1),
    birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    sex: z.enum(['M', 'F', 'U']),
    birthplace: z.string().optional(),
    usedName: z.string().optional(),
    usedGivenName: z.string().optional(),
    ins: z.object({ matricule: z.string().length(15), oid: z.string() }).optional().describe('only for a qualified identity'),
  }),
  stay: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  author: professional.optional(),
  sections: z.array(z.object({ heading: z.string().min(1), paragraphs: z.array(z.string()) })).optional(),
});

/** The official CDA schema: --xsd, else PASSERELLE_FIXTURES, else ../shared/fixtures. */
function cdaSchemaPath(explicit?: string): string | undefined {
  if (explicit) return explicit;
  const base = process.env.PASSERELLE_FIXTURES ?? resolve('../shared/fixtures');
  const path = join(base, 'cda', 'infrastructure', 'cda', 'CDA_extended.xsd');
  return existsSync(path) ? path : undefined;
}

async function readPatientFile(file: string): Promise<{ identity: Identity; input: z.infer<typeof patientFile> }> {
  const parsed = patientFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  const p = parsed.data.patient;
  const identity: Identity = {
    id: 'file', ipp: p.ipp, ippAuthority: 'FILE', status: p.ins ? 'QUAL' : 'PROV', attributes: [],
    traits: { birthName: p.birthName, birthGivenNames: p.birthGivenNames, birthDate: p.birthDate, sex: p.sex, ...(p.birthplace ? { birthplace: p.birthplace } : {}) },
    ...(p.ins ? { ins: p.ins } : {}), ...(p.usedName ? { usedName: p.usedName } : {}), ...(p.usedGivenName ? { usedGivenName: p.usedGivenName } : {}),
    insRetrieved: p.ins !== undefined, version: 1, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  };
  return { identity, input: parsed.data };
}

export function registerDocumentCommands(program: Command): void {
  const document = program.command('document').description('Exit documents: PDF/A with the DataMatrix INS and CDA R2 N1');

  document.command('render')
    .description('Write <dir>/<type>.pdf and <dir>/<type>.xml (CDA R2 N1) for the demo patient or a patient file')
    .requiredOption('--type <type>', `document type: ${PRODUCED_DOCUMENT_TYPE_KEYS.join('|')}`)
    .option('--demo', 'use the ANS test patient PAT-TROIS (qualified) and demo text')
    .option('--patient <file.json>', 'patient (INS only if qualified), stay, author and sections from a JSON file')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (options: { type: string; demo?: boolean; patient?: string; out: string }) => {
      if (!(PRODUCED_DOCUMENT_TYPE_KEYS as readonly string[]).includes(options.type)) {
        console.error(`--type : « ${options.type} » inconnu ; attendu ${PRODUCED_DOCUMENT_TYPE_KEYS.join(', ')}`);
        process.exitCode = 2;
        return;
      }
      if (!options.demo === !options.patient) {
        console.error('Indiquez soit --demo, soit --patient <fichier.json>');
        process.exitCode = 2;
        return;
      }
      const type = options.type as DocumentTypeKey;
      let patient = DEMO_PATIENT;
      let stay: { start: string; end?: string } = DEMO_STAY;
      let author = DEMO_PHYSICIAN;
      let sections = DEMO_SECTIONS[type];
      if (options.patient) {
        try {
          const file = await readPatientFile(options.patient);
          patient = file.identity;
          stay = file.input.stay ?? stay;
          author = file.input.author ?? author;
          sections = file.input.sections ?? sections;
        } catch (error) {
          console.error(`Fichier patient invalide (${options.patient}) :\n${error instanceof Error ? error.message : String(error)}`);
          process.exitCode = 2;
          return;
        }
      }
      const result = await composeExitDocument({
        type, patient, stay, author, legalAuthenticator: author, sections,
        establishment: loadConfig().establishment,
        ids: { id: newDocumentOid(), setId: newDocumentOid(), version: 1 }, time: new Date(),
      });
      if (!result.ok) {
        console.error(`${result.error.field} : ${result.error.rule}`);
        process.exitCode = 1;
        return;
      }
      await mkdir(options.out, { recursive: true });
      const pdfPath = join(options.out, `${type}.pdf`);
      const xmlPath = join(options.out, `${type}.xml`);
      await writeFile(pdfPath, result.value.pdf);
      await writeFile(xmlPath, result.value.cda);
      console.log(`${pdfPath}\n${xmlPath}`);
    });

  document.command('check')
    .description('Check a CDA document: official CDA XSD (CDA_extended.xsd) and CI-SIS header rules')
    .argument('<file>', 'CDA XML file')
    .option('--xsd <file>', 'CDA_extended.xsd (default: from PASSERELLE_FIXTURES or ../shared/fixtures)')
    .action(async (file: string, options: { xsd?: string }) => {
      let xml: string;
      try {
        xml = await readFile(file, 'utf8');
      } catch (error) {
        console.error(`Lecture impossible de ${file} : ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        process.exitCode = 2;
        return;
      }
      let errors = 0;
      const schema = cdaSchemaPath(options.xsd);
      if (schema) {
        for (const problem of loadXsd(schema).validate(xml)) {
          if (problem.level === 'warning') continue;
          errors++;
          console.log(`${file}:${problem.line}:${problem.column}: XSD: ${problem.message.trim()}`);
        }
      } else {
        console.error('Avertissement : schéma CDA_extended.xsd introuvable (--xsd ou PASSERELLE_FIXTURES) ; seules les règles CI-SIS sont vérifiées');
      }
      const parsed = parseCda(xml);
      if (!parsed.ok) {
        errors++;
        console.log(`${file}: ${parsed.error.field}: ${parsed.error.rule}`);
      } else {
        for (const issue of checkCda(parsed.value, valueSetLookup)) {
          errors++;
          console.log(`${file}: ${issue.field}: ${issue.rule}`);
        }
      }
      if (errors === 0) console.log(`${file}: conforme (XSD${schema ? '' : ' non vérifié'}, règles CI-SIS de l’en-tête)`);
      process.exitCode = errors === 0 ? 0 : 1;
    });
}
