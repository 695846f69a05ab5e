/** Who a trusted token says the caller is. */
export interface Identity {
  /** The token's `sub`: the user id of every task path. */
  id: string
  email?: string | undefined
  name?: string | undefined
  /** When the token expires (ms since the epoch): a stream opened with it ends then. */
  expiresAt?: number | undefined
}
