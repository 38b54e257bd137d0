#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

const code = await main({ argv: process.argv.slice(2), cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
