import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireFixtures, skipReason } from '../../test/support/fixtures.ts';
import { formatXsdProblems, loadXsd, validateXml } from './xsd.ts';

describe('xsd validator', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'xsd-'));
    await mkdir(path.join(dir, 'sub'));
    // root.xsd includes sub/types.xsd and imports ../other.xsd relative to sub/: relative resolution.
    await writeFile(path.join(dir, 'root.xsd'), `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" xmlns:o="urn:o" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:include schemaLocation="sub/types.xsd"/>
  <xs:import namespace="urn:o" schemaLocation="other.xsd"/>
  <xs:element name="root">
    <xs:complexType><xs:sequence>
      <xs:element name="code" type="Code" maxOccurs="unbounded"/>
      <xs:element ref="o:note" minOccurs="0"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>`);
    await writeFile(path.join(dir, 'sub', 'types.xsd'), `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{2}"/></xs:restriction></xs:simpleType>
</xs:schema>`);
    await writeFile(path.join(dir, 'other.xsd'), `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:o" elementFormDefault="qualified">
  <xs:element name="note" type="xs:string"/>
</xs:schema>`);
  });

  it('resolves includes and imports relative to the schema file', () => {
    const schema = loadXsd(path.join(dir, 'root.xsd'));
    expect(schema.validate('<root xmlns="urn:t" xmlns:o="urn:o"><code>12</code><o:note>x</o:note></root>')).toEqual([]);
  });

  it('reports each problem with its line number', () => {
    const problems = validateXml(path.join(dir, 'root.xsd'), '<root xmlns="urn:t">\n<code>12</code>\n<code>1x</code>\n<bad/>\n</root>');
    expect(problems.map((p) => p.line)).toEqual([3, 4]);
    expect(problems[0]!.message).toMatch(/pattern/);
    expect(formatXsdProblems(problems)).toMatch(/^line 3:/);
  });

  it('reports malformed XML as problems instead of throwing', () => {
    const problems = loadXsd(path.join(dir, 'root.xsd')).validate('<root xmlns="urn:t">\n<code>');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.level).toBe('error');
  });

  it('validates one element inside a larger document', () => {
    const schema = loadXsd(path.join(dir, 'root.xsd'));
    const wrapped = '<env xmlns="urn:env"><r:root xmlns:r="urn:t"><r:code>07</r:code></r:root></env>';
    expect(schema.validate(wrapped, { element: { namespace: 'urn:t', localName: 'root' } })).toEqual([]);
    expect(schema.validate(wrapped, { element: { namespace: 'urn:t', localName: 'nothere' } })[0]!.message).toMatch(/not found/);
  });

  it('does not resolve external entities of validated documents', () => {
    const xml = `<!DOCTYPE root [<!ENTITY x SYSTEM "file://${path.join(dir, 'other.xsd')}">]><root xmlns="urn:t"><code>&x;</code></root>`;
    const problems = loadXsd(path.join(dir, 'root.xsd')).validate(xml);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('throws a clear error for a schema that cannot be compiled', async () => {
    const bad = path.join(dir, 'bad.xsd');
    await writeFile(bad, '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a" type="nope"/></xs:schema>');
    expect(() => loadXsd(bad)).toThrow(/cannot be compiled/);
  });

  const insi = requireFixtures('insi');
  it.skipIf(!insi)(`compiles the INSi schemas ${insi ? '' : skipReason('insi')}`, () => {
    for (const f of ['ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd', 'ServiceIdentiteCertifiee/INSi_RECSANS_INS.xsd', 'CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd']) {
      expect(loadXsd(path.join(insi!, 'wsdl/xsd', f)).file).toMatch(/\.xsd$/);
    }
  });
});
