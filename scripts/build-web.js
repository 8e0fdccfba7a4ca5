// Builds the dashboard into dist/web/: esbuild bundles web/src/main.ts (and socket.io-client) into
// one minified app.js with a sourcemap; index.html, styles.css and web/assets/ are copied as they
// are. Plain node, no TypeScript step: `npm run typecheck` checks web/ (esbuild only strips types).
// `node scripts/build-web.js --watch` rebuilds on change while working on the page.
import { build, context } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const outDir = join(root, 'dist', 'web');

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [join(webDir, 'src', 'main.ts')],
  outfile: join(outDir, 'app.js'),
  bundle: true,
  minify: true,
  sourcemap: true,
  // An IIFE runs from a plain `<script defer>`: no module loading, nothing inline for the CSP.
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari16', 'edge109'],
  tsconfig: join(webDir, 'tsconfig.json'),
  legalComments: 'linked',
  logLevel: 'warning',
};

function copyStatic() {
  cpSync(join(webDir, 'index.html'), join(outDir, 'index.html'));
  cpSync(join(webDir, 'styles.css'), join(outDir, 'styles.css'));
  const assets = join(webDir, 'assets');
  if (existsSync(assets)) cpSync(assets, join(outDir, 'assets'), { recursive: true });
}

// Start clean so files removed from web/ do not linger in what the server serves.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
copyStatic();

if (process.argv.includes('--watch')) {
  const ctx = await context({
    ...options,
    plugins: [{ name: 'copy-static', setup: (b) => b.onEnd(() => copyStatic()) }],
  });
  await ctx.watch();
  process.stdout.write(`watching web/ -> ${outDir}\n`);
} else {
  await build(options);
}
