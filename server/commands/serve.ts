/** `ipp-collector serve`: receive phone diagnostics and serve the dashboard. */
import { Option, type Command } from 'commander';
import { CONFIG_NAMES, ConfigError, resolveConfig, type CollectorConfig } from '../config.js';
import { loadCollector } from './load-collector.js';
import { PACKAGE_VERSION } from '../package-root.js';
import { fail } from './fail.js';

export function registerServe(program: Command): void {
  const serve = program.command('serve')
    .description('receive phone diagnostics and serve the dashboard')
    .option('--config <file>', 'JSON config file (env IPP_CONFIG); keys are the option names in camelCase, e.g. {"webPort": 8080}');
  /** Commander names each option after its flag (`--store-batch` → storeBatch); map back to config keys. */
  const optionKeys = CONFIG_NAMES.map((c) => {
    const option = new Option(c.flag, `${c.help} (env ${c.env})`);
    serve.addOption(option);
    return { attribute: option.attributeName(), key: c.key };
  });
  // Same attribute as --auth: commander sets it to false, which resolveConfig reads as off.
  serve.addOption(new Option('--no-auth', 'no login at all: anyone who reaches the web port is admin (lab use only; every page says so)'));
  serve.addHelpText('after', `
Settings come from, highest first: flags, environment variables, the config file, defaults.
A port of 0 disables that listener.`);

  serve.action(async (opts: Record<string, string>) => {
    let config: CollectorConfig;
    try {
      const flags = Object.fromEntries(optionKeys.filter((o) => opts[o.attribute] !== undefined).map((o) => [o.key, opts[o.attribute]!]));
      config = resolveConfig(flags, process.env, opts.config);
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message);
      throw err;
    }
    let collector;
    try {
      collector = await (await loadCollector())(config);
    } catch (err) {
      fail(`cannot start: ${(err as Error).message}`);
    }
    const out = process.stdout;
    out.write(`ipp-collector ${PACKAGE_VERSION}, data in ${config.dataDir}\n`);
    // The same note (e.g. the kernel's UDP buffer cap) is said once, for all the listeners it concerns.
    const notes = new Map<string, string[]>();
    for (const l of collector.listeners) {
      if (l.state === 'listening') out.write(`  ${l.name.padEnd(11)} listening on ${l.transport.toUpperCase()} ${l.address} port ${l.port}\n`);
      else if (l.state === 'failed') process.stderr.write(`  ${l.name.padEnd(11)} NOT listening: ${l.error}\n`);
      if (l.warning) notes.set(l.warning, [...(notes.get(l.warning) ?? []), l.name]);
    }
    for (const [note, names] of notes) process.stderr.write(`  note (${names.join(', ')}): ${note}\n`);
    if (collector.webUrl) out.write(`dashboard: ${collector.webUrl}\n`);
    if (collector.listeners.every((l) => l.state !== 'listening')) {
      await collector.stop();
      fail('no listener could start; see the messages above');
    }

    const shutdown = (signal: string) => {
      process.stderr.write(`${signal}: writing what was received, then stopping…\n`);
      collector.stop().then(
        () => {
          const totals = Object.entries(collector.counters.snapshot())
            .map(([name, c]) => `${name}: ${c.parsed} parsed, ${c.stored} stored, ${c.dropped} dropped, ${c.malformed} malformed`);
          process.stderr.write(`stopped cleanly. ${totals.join('; ') || 'nothing received'}\n`);
          process.exit(0);
        },
        (err: Error) => { process.stderr.write(`stop failed: ${err.message}\n`); process.exit(1); },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
