/** `passerelle ins check <matricule>`: exit 0 and `valid`, or the reason and exit 1. */
import type { Command } from 'commander';
import { checkMatriculeOnEntry } from '../formats/ins/index.ts';
import { describeError } from '../formats/result.ts';

export function registerInsCommands(program: Command): void {
  const ins = program.command('ins').description('Matricule INS tools');
  ins.command('check')
    .description('Check a 15-character matricule INS (structure and key, Corsica 2A/2B included)')
    .argument('<matricule>', 'matricule INS: 13 characters + 2-digit key')
    .action((matricule: string) => {
      const result = checkMatriculeOnEntry(matricule);
      if (result.ok) {
        console.log('valid');
        return;
      }
      console.log(describeError(result.error));
      process.exitCode = 1;
    });
}
