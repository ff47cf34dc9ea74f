// usage: node mkauth.mjs <dir> [expInSeconds] [refreshToken] [variant: ok|nolast|twopart]
import fs from 'node:fs'
import { codexAuth } from './lib.mjs'
const [dir, expIn = '864000', rt = 'rt-1', variant = 'ok'] = process.argv.slice(2)
const a = codexAuth({ expIn: Number(expIn), refresh: rt })
if (variant === 'nolast') delete a.last_refresh
if (variant === 'twopart') a.tokens.id_token = a.tokens.id_token.split('.').slice(0, 2).join('.')
if (variant === 'garbage') a.tokens.id_token = 'not-a-jwt'
fs.writeFileSync(`${dir}/auth.json`, JSON.stringify(a, null, 2))
