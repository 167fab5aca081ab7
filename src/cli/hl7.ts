/** `passerelle hl7 parse|send` — filled in when the HL7 codec lands. */
import type { Command } from 'commander';

export function registerHl7Commands(program: Command): void {
  program.command('hl7').description('HL7 v2 tools');
}
