#!/usr/bin/env node
// The `rftbench` command. Our sources are TypeScript run through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
// The wasm backend's thread pool keeps Node alive; main has shut it down, exit explicitly all the same.
process.exit(code);
