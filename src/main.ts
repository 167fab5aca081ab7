/**
 * The `passerelle` command line. Every command has --help.
 */
import { Command } from 'commander';
import { registerDemoCommand } from './cli/demo.ts';
import { registerDocumentCommands } from './cli/document.ts';
import { registerInsCommands } from './cli/ins.ts';
import { registerHl7Commands } from './cli/hl7.ts';
import { registerSandboxCommand, registerServerCommands } from './cli/server.ts';

const program = new Command()
  .name('passerelle')
  .description('Passerelle — le côté hôpital du Ségur du numérique en santé (INS, PAM, DMP, MSSanté)')
  .version('0.1.0')
  .showHelpAfterError();

registerServerCommands(program);
registerSandboxCommand(program);
registerDemoCommand(program);
registerInsCommands(program);
registerHl7Commands(program);
registerDocumentCommands(program);

await program.parseAsync(process.argv);
