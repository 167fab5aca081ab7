/**
 * The ebRS 3.0 schema (lcm.xsd) from the official fixtures, laid out in a temporary folder with
 * our stand-ins for the xml.xsd and IHE/xcf.xsd it imports (test/support/schemas/), so that
 * XDM METADATA.XML can be validated. Undefined when the fixtures are absent (see fixtures.ts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadXsd, type XsdSchema } from '../../src/platform/xsd.ts';
import { requireFixtures } from './fixtures.ts';

export function loadEbrsSchema(): { schema: XsdSchema; dispose: () => void } | undefined {
  const xdsDir = requireFixtures('xds');
  if (!xdsDir) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-xdm-ebrs-'));
  const support = join(import.meta.dirname, 'schemas');
  mkdirSync(join(dir, 'ebRS30'), { recursive: true });
  mkdirSync(join(dir, 'IHE'), { recursive: true });
  for (const f of ['lcm.xsd', 'rim.xsd', 'rs.xsd']) copyFileSync(join(xdsDir, 'ebRS30', f), join(dir, 'ebRS30', f));
  copyFileSync(join(support, 'xml.xsd'), join(dir, 'xml.xsd'));
  copyFileSync(join(support, 'xcf.xsd'), join(dir, 'IHE', 'xcf.xsd'));
  return { schema: loadXsd(join(dir, 'ebRS30', 'lcm.xsd')), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
