import { SignJWT } from 'jose'
import { configOrExit } from '../env.js'

const USAGE = 'usage: token <user id> [lifetime, e.g. 1h or 7d]   (signs with AUTH_JWT_SECRET)'

const [sub, lifetime = '1h'] = process.argv.slice(2)
if (!sub) {
  console.error(USAGE)
  process.exit(2)
}
const { auth } = configOrExit()
if (!auth.jwtSecret) {
  console.error('AUTH_JWT_SECRET is not set: put it in .env or the environment (see README)')
  process.exit(1)
}
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime(lifetime)
  .sign(new TextEncoder().encode(auth.jwtSecret))
console.log(token)
