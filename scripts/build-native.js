// Builds the recvmmsg reader (server/sources/native/recvmmsg.c) into dist/ with the C compiler
// and the headers of the Node that runs this script. Optional: without a compiler, headers or
// Linux it says so in one line and the collector reads its UDP sockets with Node's dgram
// (correct, slower: see docs/performance.md). IPP_NATIVE=0 skips it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'server', 'sources', 'native', 'recvmmsg.c');
const output = join(root, 'dist', 'server', 'sources', 'native', 'recvmmsg.node');
const headers = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));

function skip(why) {
  process.stderr.write(`build-native: ${why}; UDP sockets will be read with Node's dgram (slower)\n`);
}

if (process.env.IPP_NATIVE === '0') skip('IPP_NATIVE=0');
else if (process.platform !== 'linux') skip(`recvmmsg is Linux's, this is ${process.platform}`);
else if (!headers) skip('no Node headers (node_api.h) found next to this node or in /usr/include/node');
else {
  mkdirSync(dirname(output), { recursive: true });
  const cc = process.env.CC || 'cc';
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', `-I${headers}`, '-o', output, source], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    skip(`${cc} failed (${err.code === 'ENOENT' ? 'no C compiler' : err.message.split('\n')[0]})`);
  }
}
