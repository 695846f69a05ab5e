// Types of ./cluster.mjs (plain JavaScript, so that `pnpm cluster` and the benches run it with node alone).

export const exampleConfig: string

/** One server process; its port stays the same across restarts. */
export interface ClusterInstance {
  name: string
  port: number
  url: string
  pid(): number | undefined
  output(): string
  running(): boolean
  /** Starts the process and waits until its own /readyz answers 200. */
  start(timeoutMs?: number): Promise<void>
  /** SIGTERM (the drain), then the exit code (or signal); SIGKILL past `graceMs`. */
  stop(graceMs?: number): Promise<number | string | null>
  /** SIGKILL: a crash, no drain. */
  kill(): Promise<number | string | null>
}

export interface Cluster {
  /** The one URL to use: HAProxy. */
  url: string
  port: number
  instances: ClusterInstance[]
  configPath: string
  socket: string
  maxconn: number
  haproxyPid(): number | undefined
  haproxyOutput(): string
  /** Each server's state as HAProxy sees it: `UP`, `DOWN`, `UP 1/2`, `NOLB`, `MAINT`… */
  serverStates(): Promise<Record<string, string>>
  waitForState(name: string, state: string, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export interface ClusterOptions {
  /** A migrated PostgreSQL database. */
  databaseUrl: string
  instances?: number
  /** Environment of every instance (TRUST_PROXY is `loopback` unless given). */
  env?: Record<string, string>
  /** `built`: server/dist as `start:prod` runs it; `source`: src/main.ts through tsx. */
  mode?: 'built' | 'source'
  /** The balancer's port; 0 or unset: a free one. */
  port?: number
  maxconn?: number
}

export function findHaproxy(): string | undefined
export function generateSigningKey(mode?: 'built' | 'source'): string
export function migrate(databaseUrl: string, mode?: 'built' | 'source'): void
export function redisAnswers(url?: string): Promise<boolean>
export function fileLimit(): number | undefined
export function fittingMaxconn(wanted?: number): number
export function clusterConfig(options: {
  port: number
  socket: string
  servers: { name: string; port: number }[]
  maxconn?: number
}): string
export function haproxyCommand(socket: string, command: string): Promise<string>
export function haproxyStats(socket: string): Promise<Record<string, string>[]>
export function startCluster(options: ClusterOptions): Promise<Cluster>
