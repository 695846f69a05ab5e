import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const serverDir = fileURLToPath(new URL('../../server/', import.meta.url))

export interface ServerProcess {
  url: string
  child: ChildProcess
  /** Everything the process printed so far. */
  output: () => string
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop: () => Promise<number | null>
}

/** Runs the server's real entry point (`src/main.ts` through tsx) with only `env` set. */
export function runServer(env: Record<string, string>): {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', INIT_CWD: serverDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return { child, output: () => output, exited }
}

/** Starts the server on a free port and waits until it listens. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const { child, output, exited } = runServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env })
  const deadline = Date.now() + timeoutMs
  let url: string | undefined
  while (!url) {
    url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1]
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not listen within ${timeoutMs} ms:\n${output()}`)
    }
    if (!url) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    child,
    output,
    stop: async () => {
      child.kill('SIGTERM')
      return exited
    },
  }
}
