#!/usr/bin/env node
// The `accord` command: runs the TypeScript CLI through tsx, with the Node 20 polyfill first.
import { register } from 'tsx/esm/api'
register()
await import('../src/polyfill.ts')
await import('../src/cli/main.ts')
