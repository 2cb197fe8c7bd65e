#!/usr/bin/env node
// The real-server part of `npm run interop`: test/interop/servers.ts (TypeScript, run through tsx
// like the tests) starts each installed server, runs its flows through every adapter and writes
// test-output/interop/servers.json. Arguments: server names to run only those.
import { register } from 'tsx/esm/api';

// As under ava: rejections are not logged to the console in production.
process.env.NODE_ENV = 'production';
register();
await import('../../test/interop/servers.ts');
