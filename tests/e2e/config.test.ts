import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { loadConfig, openDatabase } from '@todo/server'
import { describe, expect, it } from 'vitest'
import { runServer } from '../setup/process.js'

describe('configuration', () => {
  it('has the defaults of the contract', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      corsOrigins: ['http://localhost:3000'],
      logLevel: 'info',
      rateLimitPerMinute: 1000,
      auth: { jwtSecret: undefined },
    })
    expect(config.database).toMatchObject({ kind: 'pglite', dataDir: expect.stringMatching(/\.data$/) })
  })

  it.each([
    ['postgres://u:p@db.example.com/app?sslmode=require', { kind: 'postgres' }],
    ['postgresql://localhost/app', { kind: 'postgres' }],
    ['memory://', { kind: 'pglite', dataDir: undefined }],
    ['file:/var/lib/todo', { kind: 'pglite', dataDir: '/var/lib/todo' }],
  ])('reads DATABASE_URL=%s', (url, expected) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject(expected)
  })

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/app'],
    ['AUTH_JWT_SECRET', 'too short'],
    ['CORS_ORIGINS', 'not a url'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_PER_MINUTE', '-5'],
    ['AUTH_JWKS_URL', 'ftp://idp.example.com/jwks'],
    ['AUTH_ALGORITHMS', 'HS256'],
    ['AUTH_ALGORITHMS', 'none'],
    ['AUTH_BUILTIN', 'maybe'],
    ['AUTH_SIGNING_KEY', '{"kty":"RSA"}'],
    ['AUTH_SIGNING_KEY', 'not json'],
    ['AUTH_TOKEN_TTL', 'forever'],
    ['AUTH_TOKEN_TTL', '10s'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '2'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_PREPARED_STATEMENTS', 'no'],
    ['MIGRATE_ON_START', 'yes'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['AUTH_LOGIN_LIMITS', 'off'],
  ])('refuses %s=%s with one line naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid environment: ${name} `))
  })

  it('trusts proxies by address or CIDR range only', () => {
    expect(loadConfig({}).trustProxy).toEqual([])
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toEqual([])
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8 ,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      'loopback',
    ])
    expect(() => loadConfig({ TRUST_PROXY: '1' })).toThrow(/X-Forwarded-For/)
  })

  it('reads the PostgreSQL pool and statement settings', () => {
    const url = 'postgres://localhost/app'
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({
      kind: 'postgres',
      url,
      poolMax: 10,
      preparedStatements: true,
    })
    expect(
      loadConfig({ DATABASE_URL: url, DATABASE_POOL_MAX: '4', DATABASE_PREPARED_STATEMENTS: 'false' }).database,
    ).toEqual({ kind: 'postgres', url, poolMax: 4, preparedStatements: false })
  })

  it('trusts an external issuer only with its issuer and audience', () => {
    expect(() => loadConfig({ AUTH_JWKS_URL: 'https://auth.example.com/api/auth/jwks' })).toThrow(
      /AUTH_ISSUER must be set with AUTH_JWKS_URL and AUTH_AUDIENCE; AUTH_AUDIENCE must be set/,
    )
    expect(() => loadConfig({ AUTH_AUDIENCE: 'https://api.example.com' })).toThrow(
      /^Invalid environment: AUTH_JWKS_URL/,
    )
    const config = loadConfig({
      AUTH_JWKS_URL: 'https://auth.example.com/api/auth/jwks',
      AUTH_ISSUER: 'https://auth.example.com',
      AUTH_AUDIENCE: 'https://api.example.com, https://api2.example.com',
    })
    expect(config.auth.jwks).toEqual({
      jwksUrl: 'https://auth.example.com/api/auth/jwks',
      issuer: 'https://auth.example.com',
      audience: ['https://api.example.com', 'https://api2.example.com'],
      algorithms: ['EdDSA'],
    })
  })

  it('reads token lifetimes', () => {
    expect(loadConfig({ AUTH_TOKEN_TTL: '15m' }).auth.builtin?.tokenTtlSeconds).toBe(900)
    expect(loadConfig({ AUTH_TOKEN_TTL: '7d' }).auth.builtin?.tokenTtlSeconds).toBe(604_800)
    expect(loadConfig({ AUTH_TOKEN_TTL: '120' }).auth.builtin?.tokenTtlSeconds).toBe(120)
    expect(loadConfig({}).auth.builtin?.tokenTtlSeconds).toBe(3600)
  })

  it('never echoes a secret in the error', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short-secret' })).toThrow(/^((?!short-secret).)*$/)
  })

  it('stops the server at start with one line naming the variable', async () => {
    const { output, exited } = runServer({ PORT: 'eighty', DATABASE_URL: 'memory://' })
    expect(await exited).toBe(1)
    const lines = output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^Invalid environment: PORT must be a whole number/)
  })
})

describe('DATABASE_URL with sslmode=require', () => {
  it('asks the server for TLS before anything else, and will not go on without it', async () => {
    const firstMessages: Buffer[] = []
    const fake = createServer((socket) => {
      socket.once('data', (data) => {
        firstMessages.push(data)
        socket.end('N') // "no TLS here", as a server without SSL answers an SSLRequest
      })
    })
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
    const { port } = fake.address() as AddressInfo
    const database = await openDatabase({
      kind: 'postgres',
      url: `postgres://u:p@127.0.0.1:${port}/db?sslmode=require`,
    })
    try {
      await expect(database.ping()).rejects.toThrow(/SSL/)
      // An SSLRequest: length 8, then the code 80877103, before any startup message.
      expect(firstMessages[0]?.readInt32BE(4)).toBe(80877103)
    } finally {
      await database.close()
      fake.close()
    }
  })
})
