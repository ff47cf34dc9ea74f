#!/usr/bin/env node
import { PACKAGE_VERSION } from '../../protocol/version.js'
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv, PACKAGE_VERSION)
