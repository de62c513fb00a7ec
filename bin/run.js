#!/usr/bin/env node
// Node's compile cache makes every start after the first skip parsing oclif and our modules.
import module from 'node:module';

module.enableCompileCache?.();

const {execute} = await import('@oclif/core');
await execute({dir: import.meta.url});
