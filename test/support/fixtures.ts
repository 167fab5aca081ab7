/**
 * Where the official examples live (ARCHITECTURE.md, Conventions): `PASSERELLE_FIXTURES`, or
 * `../shared/fixtures` next to the repository. Missing fixtures skip the tests that need
 * them, except in CI (`CI=true`), where a missing folder is a failure.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function fixturesDir(): string | undefined {
  const dir = process.env.PASSERELLE_FIXTURES ?? path.resolve(process.cwd(), '../shared/fixtures');
  return existsSync(dir) ? dir : undefined;
}

/**
 * The fixtures subfolder (e.g. `hl7v2`), or undefined when absent — then use
 * `describe.skipIf(!dir)` with `skipReason`. Throws when `CI=true` so that CI never skips.
 */
export function requireFixtures(subfolder = ''): string | undefined {
  const base = fixturesDir();
  const dir = base === undefined ? undefined : path.join(base, subfolder);
  if (dir !== undefined && existsSync(dir)) return dir;
  if (process.env.CI === 'true') {
    throw new Error(`fixtures folder ${subfolder || '.'} not found (set PASSERELLE_FIXTURES or provide ../shared/fixtures): required when CI=true`);
  }
  return undefined;
}

export const skipReason = (subfolder = ''): string =>
  `skipped: fixtures ${subfolder} not found (set PASSERELLE_FIXTURES or provide ../shared/fixtures)`;

/** Every file under `root` (recursive, sorted by path) whose name `keep` accepts. */
export function filesUnder(root: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, keep));
    else if (keep(entry.name)) out.push(full);
  }
  return out.sort();
}

/** HL7 v2 messages among the official examples: `.er7`, `.hl7`, and the extensionless `Message metier …`. */
export const isHl7MessageFile = (name: string): boolean => /\.(er7|hl7)$/i.test(name) || name.startsWith('Message metier');
