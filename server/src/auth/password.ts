import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * scrypt with N = 2^15, r = 8, p = 1: 32 MiB and roughly 100 ms per hash here. The
 * parameters are stored in each hash, so they can be raised later without a migration.
 */
const COST = { log2N: 15, r: 8, p: 1 }
const KEY_LENGTH = 32

/**
 * Hashes at a time, and hashes that may wait for one of them. scrypt runs on libuv's thread
 * pool (4 threads), where WebCrypto also verifies every new token: two hashes at most leave
 * it room, and a flood of sign-ins is turned away at once rather than queued without end.
 */
const CONCURRENT_HASHES = 2
const WAITING_HASHES = 16

/** Too many password hashes under way: the caller should come back shortly (503). */
export class HashingBusyError extends Error {
  override name = 'HashingBusyError'
  constructor() {
    super('Too many sign-ins at once; try again in a moment')
  }
}

let running = 0
const waiting: (() => void)[] = []

/** Takes a hashing slot, or waits for one to be handed over. */
async function acquire(): Promise<void> {
  if (running < CONCURRENT_HASHES) {
    running++
    return
  }
  if (waiting.length >= WAITING_HASHES) throw new HashingBusyError()
  await new Promise<void>((resolve) => waiting.push(resolve))
}

/** Hands the slot to the next waiting hash, or gives it back. */
function release(): void {
  const next = waiting.shift()
  if (next) next()
  else running--
}

async function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  await acquire()
  try {
    const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r * p }
    return await new Promise((resolve, reject) =>
      // NFKC, as NIST SP 800-63B asks: the same password typed on another keyboard matches.
      scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    )
  } finally {
    release()
  }
}

/** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, base64url; a fresh 16-byte salt each time. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const { log2N, r, p } = COST
  const key = await derive(password, salt, log2N, r, p)
  return ['scrypt', log2N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Stands in for the hash of an unknown account, so that failure costs the same time. */
let decoy: Promise<string> | undefined

/**
 * Constant-time check of `password` against a stored hash. With no stored hash (no such
 * account) it still derives a key, against a decoy, and answers false in the same time.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  if (stored === undefined) {
    decoy ??= hashPassword('decoy: never the password of any account')
    await verifyPassword(password, await decoy)
    return false
  }
  const [scheme, log2N, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(log2N), Number(r), Number(p))
  return key.length === expected.length && timingSafeEqual(key, expected)
}
