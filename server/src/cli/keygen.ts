import { generateSigningKey } from '../auth/builtin-issuer.js'

// Prints a new private Ed25519 JWK for AUTH_SIGNING_KEY (one line, ready for an env file).
console.log(JSON.stringify(await generateSigningKey()))
