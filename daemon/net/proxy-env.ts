/**
 * Which proxy the environment names, the lower-case spelling first (as curl and undici read
 * it). Its own file, free of undici, so the daemon's start can ask without loading the proxy
 * code (daemon/lazy/outbound.ts).
 */
export const pickEnv = (env: Record<string, string | undefined>, upper: string): string | undefined =>
  env[upper.toLowerCase()] || env[upper] || undefined

export function hasProxyEnv(env: Record<string, string | undefined>): boolean {
  return Boolean(pickEnv(env, 'HTTPS_PROXY') || pickEnv(env, 'HTTP_PROXY'))
}
