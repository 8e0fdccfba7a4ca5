/**
 * `ipp-collector`: the command line. Each command lives in server/commands/ and registers itself
 * here with one line.
 */
import { Command } from 'commander';
import { PACKAGE_VERSION } from './package-root.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDecode } from './commands/decode.js';
import { registerImport } from './commands/import.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerDemo } from './commands/demo.js';
import { registerBundle } from './commands/bundle.js';

const program = new Command('ipp-collector')
  .description('Collector and live dashboard for AudioCodes 400HD IP phone diagnostics (syslog, debug recordings, voice-quality reports, crash dumps).')
  .version(PACKAGE_VERSION)
  .showHelpAfterError();

registerServe(program);
registerDecode(program);
registerAnalyze(program);
registerImport(program);
registerSimulate(program);
registerDemo(program);
registerBundle(program);

await program.parseAsync(process.argv);
