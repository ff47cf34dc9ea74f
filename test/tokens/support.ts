import type { RpcClient } from '../../client/rpc/client.js'
import type { FakeIssuer, IssuedTokens } from '../fakes/issuer.js'
import type { Identity } from '../fakes/jwt.js'

export function identity(n: number, over: Partial<Identity> = {}): Identity {
  return { email: `user${n}@example.com`, accountId: `acct-${n}`, userId: `user-${n}`, planType: 'plus', ...over }
}

export interface Added {
  alias: string
  identity: Identity
  tokens: IssuedTokens
}

/** Signs an identity in at the fake issuer and hands the tokens to the daemon. */
export async function addAccount(client: RpcClient, issuer: FakeIssuer, n: number, expiresInS?: number): Promise<Added> {
  const id = identity(n)
  const tokens = issuer.addAccount(id, { expiresInS })
  const view = await client.call('accounts.add', {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
  })
  return { alias: view.alias, identity: id, tokens }
}
