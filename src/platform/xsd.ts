/**
 * XSD validation on libxml2 (libxml2-wasm), reusable by every module that must check XML
 * against official schemas (INSi bodies, XDS metadata, CDA documents).
 *
 * - `loadXsd(file)` compiles a schema file; its `xs:include`/`xs:import` are resolved
 *   relative to the file (the schema is parsed with its own path as base URL). Only local
 *   `.xsd` files are ever read: remote schema locations (http://www.w3.org/…) are skipped by
 *   libxml2 ("Skipping the import"); if that leaves a type unresolved, `loadXsd` throws with
 *   libxml2's messages and line numbers.
 * - `schema.validate(xml)` returns the list of problems with line and column numbers; an
 *   empty list means valid. Malformed XML is reported the same way (one entry per parse
 *   error), never thrown.
 * - `schema.validate(xml, { element })` validates only the first element with that namespace
 *   and local name (e.g. the RESULTAT inside a SOAP envelope).
 *
 * Instance documents are parsed without external entities or DTD loading (XXE-safe).
 * Compiled schemas are cached by absolute path; they live as long as the process.
 */
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ParseOption,
  XmlDocument,
  XmlElement,
  XmlLibError,
  XsdValidator,
  xmlRegisterInputProvider,
  type ErrorDetail,
} from 'libxml2-wasm';
import { fsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';

export interface XsdProblem {
  message: string;
  /** 1-based line in the validated document (0 when libxml2 gives none). */
  line: number;
  column: number;
  level: 'warning' | 'error';
  /** XPath of the offending node when libxml2 reports it. */
  path?: string;
}

export interface XsdSchema {
  /** Absolute path of the root schema file. */
  readonly file: string;
  /** Parser warnings of the root schema file (compile problems throw from `loadXsd`). */
  readonly warnings: XsdProblem[];
  /** Validates an XML string; an empty list means valid. Never throws on bad input. */
  validate(xml: string, options?: { element?: { namespace: string; localName: string } }): XsdProblem[];
}

let providerRegistered = false;

/** Reads only existing local `.xsd` files, for schema includes and imports. */
function registerSchemaProvider(): void {
  if (providerRegistered) return;
  providerRegistered = true;
  xmlRegisterInputProvider({
    match: (name) => {
      const path = localPath(name);
      return path !== undefined && path.toLowerCase().endsWith('.xsd') && existsSync(path);
    },
    open: (name) => {
      const path = localPath(name);
      return path === undefined ? undefined : fsInputProviders.open(path);
    },
    read: fsInputProviders.read,
    close: fsInputProviders.close,
  });
}

function localPath(name: string): string | undefined {
  if (name.startsWith('file:')) {
    try {
      return fileURLToPath(name);
    } catch {
      return undefined;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return undefined;
  return name;
}

const toProblem = (d: ErrorDetail): XsdProblem => {
  const problem: XsdProblem = {
    message: d.message.trim(),
    line: d.line ?? 0,
    column: d.col ?? 0,
    level: d.level === 1 ? 'warning' : 'error',
  };
  if (d.xpath) problem.path = d.xpath;
  return problem;
};

const problemsOf = (error: unknown): XsdProblem[] => {
  if (error instanceof XmlLibError && error.details.length > 0) return error.details.map(toProblem);
  return [{ message: error instanceof Error ? error.message : String(error), line: 0, column: 0, level: 'error' }];
};

const cache = new Map<string, XsdSchema>();

const INSTANCE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_BIG_LINES;

/** Loads (once) and compiles a schema file with its includes and imports. Throws if the schema is unusable. */
export function loadXsd(file: string): XsdSchema {
  const path = resolve(file);
  const cached = cache.get(path);
  if (cached) return cached;
  registerSchemaProvider();
  const source = readFileSync(path);
  const schemaDoc = XmlDocument.fromBuffer(source, { url: path });
  let validator: XsdValidator;
  try {
    validator = XsdValidator.fromDoc(schemaDoc);
  } catch (error) {
    schemaDoc.dispose();
    const detail = problemsOf(error).map((p) => `${p.message} (line ${p.line})`).join('; ');
    throw new Error(`XSD ${path} cannot be compiled: ${detail}`, { cause: error });
  }
  const warnings = schemaDoc.warnings.map(toProblem);
  const schema: XsdSchema = {
    file: path,
    warnings,
    validate(xml, options) {
      let doc: XmlDocument;
      try {
        doc = XmlDocument.fromString(xml, { option: INSTANCE_OPTIONS });
      } catch (error) {
        return problemsOf(error);
      }
      try {
        if (options?.element) {
          const { namespace, localName } = options.element;
          const node = doc.get(`//*[local-name()=$name and namespace-uri()=$ns]`.replace('$name', quote(localName)).replace('$ns', quote(namespace)));
          if (!(node instanceof XmlElement)) {
            return [{ message: `element {${namespace}}${localName} not found`, line: 0, column: 0, level: 'error' }];
          }
          validator.validate(node);
        } else {
          validator.validate(doc);
        }
        return [];
      } catch (error) {
        return problemsOf(error);
      } finally {
        doc.dispose();
      }
    },
  };
  cache.set(path, schema);
  return schema;
}

/** XPath 1.0 string literal. */
const quote = (s: string): string => (s.includes("'") ? `"${s}"` : `'${s}'`);

/** One-shot helper: validate `xml` against the schema file. */
export const validateXml = (schemaFile: string, xml: string): XsdProblem[] => loadXsd(schemaFile).validate(xml);

/** `line 12:5: message` — for assertion messages and logs (never include document content). */
export const formatXsdProblems = (problems: XsdProblem[]): string =>
  problems.map((p) => `line ${p.line}:${p.column}: ${p.message}`).join('\n');
