#!/usr/bin/env node
// `npm start`: install and build if needed, then run the all-in-one platform in this process.
import { ensureBuilt, ensureInstalled } from './ensure.mjs';

ensureInstalled();
ensureBuilt();
await import('../dist/main.js');
