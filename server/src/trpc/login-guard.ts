import { setTimeout } from 'node:timers/promises'
import { TRPCError } from '@trpc/server'
import { type CreateLimiter, RateLimitError } from './rate-limit.js'

const MINUTE = 60_000

/**
 * Budgets of the credential endpoints. An account (its email, whether or not it exists, so
 * that a refusal never tells) gets 3 failed sign-ins a minute, then 10 in a quarter of an
 * hour; a client address 30 refused sign-ins (failed or turned away) in 10 minutes and 10
 * registrations an hour. One sign-in per account is checked at a time in a process, so
 * concurrent guesses cannot all be checked before the first failure counts.
 */
const BUDGETS = {
  accountBurst: { max: 3, windowMs: MINUTE },
  account: { max: 10, windowMs: 15 * MINUTE },
  addressLogins: { max: 30, windowMs: 10 * MINUTE },
  addressRegistrations: { max: 10, windowMs: 60 * MINUTE },
}

const TOO_MANY = 'Too many attempts; try again later'

/**
 * A refused attempt is answered after this long: a client that guesses as fast as it can
 * (one request after the other, on many connections) is slowed to a trickle, and a refusal
 * costs the server a timer rather than a share of its CPU.
 */
const REFUSAL_DELAY_MS = 1000

export interface LoginGuard {
  /**
   * Runs `attempt` (a password check) for the account `email` from `address` unless their
   * budgets are spent (429). `attempt` answers whether the credentials were right; a wrong
   * one is counted against both.
   */
  login<T>(email: string, address: string, attempt: () => Promise<T | undefined>): Promise<T | undefined>
  /** Counts a registration from `address`; 429 past its budget. */
  register(address: string): Promise<void>
}

/** No limits (`AUTH_LOGIN_LIMITS=false`): every attempt is checked. */
export const unguarded: LoginGuard = {
  login: (_email, _address, attempt) => attempt(),
  register: async () => {},
}

/** Limits on guessing passwords, kept where the rate limits are (memory, or Redis when shared). */
export function createLoginGuard(createLimiter: CreateLimiter): LoginGuard {
  const accountBurst = createLimiter('login-account-burst', BUDGETS.accountBurst)
  const account = createLimiter('login-account', BUDGETS.account)
  const addressLogins = createLimiter('login-address', BUDGETS.addressLogins)
  const addressRegistrations = createLimiter('register-address', BUDGETS.addressRegistrations)
  const inFlight = new Set<string>()

  const refuse = async (address: string, cause: RateLimitError): Promise<never> => {
    await addressLogins.take(address).catch(() => {})
    await setTimeout(REFUSAL_DELAY_MS)
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: TOO_MANY, cause })
  }

  return {
    async login(email, address, attempt) {
      try {
        await addressLogins.check(address)
        await accountBurst.check(email)
        await account.check(email)
      } catch (error) {
        if (error instanceof RateLimitError) return refuse(address, error)
        throw error
      }
      if (inFlight.has(email)) return refuse(address, new RateLimitError(1))
      inFlight.add(email)
      try {
        const result = await attempt()
        if (result === undefined) {
          await Promise.all([accountBurst.take(email), account.take(email), addressLogins.take(address)]).catch(
            (error: unknown) => {
              if (!(error instanceof RateLimitError)) throw error
            },
          )
        }
        return result
      } finally {
        inFlight.delete(email)
      }
    },

    async register(address) {
      try {
        await addressRegistrations.take(address)
      } catch (error) {
        if (error instanceof RateLimitError) {
          await setTimeout(REFUSAL_DELAY_MS)
          throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: TOO_MANY, cause: error })
        }
        throw error
      }
    },
  }
}
