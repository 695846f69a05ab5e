import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** The embedded database's folder is already open in a live process. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the folder of an embedded database for this process. PGlite has no lock of its own,
 * and two processes on one folder silently lose rows or corrupt indexes. A lock left by a
 * process that died is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'todo-api.lock')
  for (;;) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number.parseInt(readFileSync(file, 'utf8'), 10)
    if (Number.isInteger(owner) && isAlive(owner)) {
      throw new DataDirInUseError(
        `The database folder ${dir} is in use by process ${owner}; an embedded database serves one process at a time`,
      )
    }
    rmSync(file, { force: true })
  }
}
