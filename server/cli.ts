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

/** One example per command, under its `--help` (and the program's). */
const EXAMPLES: Readonly<Record<string, string>> = {
  serve: 'ipp-collector serve --syslog-port 5514 --data-dir /var/lib/ipp',
  decode: 'ipp-collector decode capture.pcapng --json | head        (or: tcpdump -w - ... | ipp-collector decode - --json)',
  analyze: 'ipp-collector analyze recording.pcap --json',
  import: 'ipp-collector import capture1.pcap capture2.pcapng --data-dir ./data',
  simulate: 'ipp-collector simulate --target 127.0.0.1 --pcap phones.pcap',
  demo: 'ipp-collector demo',
  bundle: 'ipp-collector bundle --call 18 -o call18.zip',
};
for (const command of program.commands) {
  const example = EXAMPLES[command.name()];
  if (example) command.addHelpText('after', `\nExample:\n  ${example}`);
}
program.addHelpText('after', `\nExamples:\n${Object.values(EXAMPLES).map((e) => `  ${e}`).join('\n')}`);

// Output into a pipe whose reader has gone (`... | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await program.parseAsync(process.argv);
