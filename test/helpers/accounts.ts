import type { RpcClient } from '../../client/rpc/client.js'
import type { FakeIssuer, IssuedTokens } from '../fakes/issuer.js'
import type { Identity } from '../fakes/jwt.js'

/** Test identity number n: user<n>@example.com, acct-<n>, user-<n>, plus. */
export function identity(n: number, over: Partial<Identity> = {}): Identity {
  return { email: `user${n}@example.com`, accountId: `acct-${n}`, userId: `user-${n}`, planType: 'plus', ...over }
}

export interface Added {
  alias: string
  identity: Identity
  tokens: IssuedTokens
}

/** Signs identity n in at the fake issuer and hands the tokens to the daemon (under `alias` if given). */
export async function addAccount(
  client: RpcClient,
  issuer: FakeIssuer,
  n: number,
  expiresInS?: number,
  alias?: string,
): Promise<Added> {
  const id = identity(n)
  const tokens = issuer.addAccount(id, { expiresInS })
  const view = await client.call('accounts.add', {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    ...(alias === undefined ? {} : { alias }),
  })
  return { alias: view.alias, identity: id, tokens }
}
