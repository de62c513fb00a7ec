import {afterAll} from 'vitest';

import {isolateProcess} from './helpers.js';

// Every test file starts from a clean environment and a temp home of its own (test/helpers.ts):
// nothing of the developer's settings, tokens, proxies or locale reaches a test.
const removeHome = isolateProcess();
afterAll(removeHome);
