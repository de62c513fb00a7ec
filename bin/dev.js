#!/usr/bin/env node
// Runs the CLI in oclif's development mode (more verbose errors, commands from the latest build).
// Rebuild with `npm run build` after changing src/.
const {execute} = await import('@oclif/core');
await execute({development: true, dir: import.meta.url});
