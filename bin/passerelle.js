#!/usr/bin/env node
// Launcher for `npx passerelle`: registers tsx in this process and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
