/**
 * The command-line contract scripts rely on, run through the real launcher (bin/passerelle.js).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fixturesDir } from './support/fixtures.ts';
import { startSubscriber } from './support/subscriber.ts';

function passerelle(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/passerelle.js', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const fixtures = fixturesDir();

describe('passerelle ins check', () => {
  it('prints valid and exits 0 for a good matricule (Corsica 2A)', async () => {
    expect(await passerelle('ins', 'check', '297022A02077878')).toMatchObject({ code: 0, stdout: 'valid\n' });
  });
  it('prints the reason and exits 1 for a wrong key', async () => {
    const r = await passerelle('ins', 'check', '276037510669380');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('INS key 80 does not match 26');
  });
});

describe.skipIf(!fixtures)('passerelle hl7', () => {
  const hl7 = (...parts: string[]) => join(fixtures!, 'hl7v2', ...parts);

  it('parse prints segments and the typed PID as JSON', async () => {
    const r = await passerelle('hl7', 'parse', hl7('SGL', 'admission.er7'));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.segments.map((s: { name: string }) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'ZBE', 'ZFA']);
    expect(json.pid.ins[0]).toMatchObject({ matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' });
  });

  it('parse exits 2 with the precise error on a broken MSH-2', async () => {
    const r = await passerelle('hl7', 'parse', hl7('Volets', 'TRANS_DOC_CDA_HL7V2', 'V2.0', 'ORU', 'Transmission initiale ORU', 'message_ORU_CR_Bio_INIT_N1_N3.hl7'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^MSH-2: .*U\+02DC/);
  });

  it('send delivers over MLLP and prints the ACK', async () => {
    const subscriber = await startSubscriber();
    try {
      const r = await passerelle('hl7', 'send', hl7('SGL', 'admission.er7'), '--port', String(subscriber.port));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^MSA\|AA\|3975$/m);
      expect(subscriber.received[0]!.controlId).toBe('3975');
    } finally {
      await subscriber.close();
    }
  });
});

describe('passerelle document', () => {
  it('render --demo writes the PDF and the CDA; check says it conforms; a broken CDA gets located errors', async () => {
    const { mkdtemp, readFile, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const out = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      const r = await passerelle('document', 'render', '--type', 'ldl', '--demo', '--out', out);
      expect(r.code).toBe(0);
      const pdf = await readFile(join(out, 'ldl.pdf'));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const xml = await readFile(join(out, 'ldl.xml'), 'utf8');
      expect(xml).toContain('extension="279035121518989"');

      const ok = await passerelle('document', 'check', join(out, 'ldl.xml'));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('conforme');

      const broken = xml.replace(/<legalAuthenticator>[\s\S]*?<\/legalAuthenticator>/, '').replace('<title>', '<titre>').replace('</title>', '</titre>');
      await writeFile(join(out, 'broken.xml'), broken);
      const bad = await passerelle('document', 'check', join(out, 'broken.xml'));
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/legalAuthenticator/);
      if (fixtures) expect(bad.stdout).toMatch(/broken\.xml:\d+:\d+: XSD: /);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('render --patient takes a non-qualified patient from a file: no INS in the CDA', async () => {
    const { mkdtemp, readFile, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const out = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      const file = join(out, 'patient.json');
      await writeFile(file, JSON.stringify({ patient: { ipp: '4242', birthName: 'MARTIN', birthGivenNames: 'LUC', birthDate: '1960-05-05', sex: 'M' }, stay: { start: '2026-11-01T08:00:00+01:00' } }));
      const r = await passerelle('document', 'render', '--type', 'cro', '--patient', file, '--out', out);
      expect(r.code).toBe(0);
      const xml = await readFile(join(out, 'cro.xml'), 'utf8');
      expect(xml).not.toMatch(/1\.2\.250\.1\.213\.1\.4\.(8|9|10|11)"/);
      expect(xml).toContain('extension="4242"');
      const wrong = await passerelle('document', 'render', '--type', 'lettre', '--demo', '--out', out);
      expect(wrong.code).toBe(2);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('passerelle demo', () => {
  it('runs the whole chain against the sandboxes, one line per document and channel, and exits 0 when every status is delivered', async () => {
    const r = await passerelle('demo');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^ {2}[✔✘] /.test(l));
    for (const label of ['Lettre de liaison', 'CRO', 'Ordonnance de sortie']) {
      for (const channel of ['DMP', 'MSSanté patient', 'MSSanté pro']) {
        expect(lines.filter((l) => l.includes(label) && l.includes(channel) && l.startsWith('  ✔') && l.trimEnd().endsWith('remis'))).toHaveLength(1);
      }
    }
    expect(lines.some((l) => l.startsWith('  ✔ CR de biologie reçu') && l.includes('intégré au dossier'))).toBe(true);
    expect(r.stdout).toContain('Démonstration réussie.');
  }, 120_000);
});
