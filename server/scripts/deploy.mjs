// `pnpm -F @todo/server deploy:server <dir>`: the production server as a folder of its own that
// starts with plain `node` (no pnpm, tsx or workspace at run time): dist/ built afresh, the
// production dependencies at the lockfile's versions with the patches of patches/ applied, and
// nothing else. The Dockerfile runs exactly this; tests/e2e/deploy-artifact.test.ts proves the
// folder works once copied elsewhere.
// @see https://pnpm.io/cli/deploy
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const serverDir = fileURLToPath(new URL('..', import.meta.url))
const workspaceDir = resolve(serverDir, '..')
/** What the folder keeps of what pnpm copies from server/ (src/, scripts/, a stray .env go). */
const KEEP = new Set(['package.json', 'dist', 'node_modules'])
/**
 * Installed though nothing loads it at run time: @trpc/server names TypeScript as a peer (for
 * its types), so pnpm installs it beside it (23 MB of compiler).
 */
const TYPE_ONLY_PEER = 'typescript'

function fail(message) {
  console.error(`deploy:server: ${message}`)
  process.exit(1)
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' })
  if (result.status !== 0) fail(`${[command, ...args].join(' ')} failed (${result.error?.message ?? result.status})`)
}

/** Every path under `dir`, symlinks not followed. */
function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    yield path
    if (entry.isDirectory()) yield* walk(path)
  }
}

const isOutside = (path) => relative(deployDir, path).startsWith('..')

/**
 * Removes from node_modules the links to the type-only peer; the links pnpm hoists into
 * `.pnpm/node_modules` to workspace packages (`@todo/server` itself: legacy deploy hoists from the
 * whole workspace's graph), which lead back into the workspace; and bin shims, which hold the
 * absolute path of the folder they were made in, and which nothing runs.
 */
function prune(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const link = entry.isSymbolicLink() && resolve(dir, readlinkSync(path))
    if (link && isOutside(link)) {
      console.log(`deploy:server: removed ${relative(deployDir, path)}, a link out of the folder`)
      rmSync(path)
    } else if (entry.name === '.bin' || (link && entry.name === TYPE_ONLY_PEER)) {
      rmSync(path, { recursive: true, force: true })
    } else if (entry.isDirectory()) prune(path)
  }
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'))

const args = process.argv.slice(2)
if (args.length !== 1) fail('usage: pnpm -F @todo/server deploy:server <new or empty folder>')
// Relative to where the command was typed (pnpm runs scripts inside server/).
const deployDir = resolve(process.env.INIT_CWD ?? process.cwd(), args[0])
if (existsSync(deployDir) && readdirSync(deployDir).length > 0) fail(`${deployDir} is not empty`)
if (!relative(workspaceDir, deployDir).startsWith('..')) {
  fail('the folder must be outside the workspace (Node.js would find the workspace node_modules from inside it)')
}

run(process.execPath, ['scripts/build.mjs'], serverDir)

// Legacy deploy: the documented way without `injectWorkspacePackages: true` (which would change
// how every workspace dependency is installed); it installs from the workspace lockfile (checked
// below). No optional dependencies: trpc-to-openapi's only one is a native Rollup binary, pg's
// the Cloudflare Workers socket; neither is loaded on Node.js.
const execPath = process.env.npm_execpath
const pnpm = execPath && basename(execPath).startsWith('pnpm') ? [process.execPath, execPath] : ['pnpm']
const deploy = ['--filter', '@todo/server', '--prod', '--no-optional', 'deploy', '--legacy', deployDir]
run(pnpm[0], [...pnpm.slice(1), ...deploy], workspaceDir)

for (const name of readdirSync(deployDir)) {
  if (!KEEP.has(name)) rmSync(join(deployDir, name), { recursive: true, force: true })
}
const store = join(deployDir, 'node_modules', '.pnpm')
for (const name of readdirSync(store)) {
  if (name.startsWith(`${TYPE_ONLY_PEER}@`)) rmSync(join(store, name), { recursive: true, force: true })
}
prune(join(deployDir, 'node_modules'))

// Checks: what runs is there, nothing of the dev tooling is, every package is the lockfile's
// (patched where pnpm-workspace.yaml says so), and every link stays inside the folder.
for (const file of ['package.json', 'dist/main.js', 'dist/cli/migrate.js']) {
  if (!existsSync(join(deployDir, file))) fail(`${file} is missing`)
}
const lockfile = readFileSync(join(workspaceDir, 'pnpm-lock.yaml'), 'utf8')
const lockedPackages = lockfile.slice(lockfile.indexOf('\npackages:'), lockfile.indexOf('\nsnapshots:'))
const locked = new Set([...lockedPackages.matchAll(/^ {2}'?(@?[^@'\s]+@[^':\s]+)'?:$/gm)].map((match) => match[1]))
const workspaceYaml = readFileSync(join(workspaceDir, 'pnpm-workspace.yaml'), 'utf8')
const patched = [...workspaceYaml.matchAll(/^\s+["']?([^"'\s]+@[^"'\s]+?)["']?:\s*patches\//gm)].map(
  (match) => match[1],
)
const devTools = [
  ...Object.keys(readJson(join(workspaceDir, 'package.json')).devDependencies ?? {}),
  ...Object.keys(readJson(join(serverDir, 'package.json')).devDependencies ?? {}),
  TYPE_ONLY_PEER,
]
let packages = 0
for (const dir of readdirSync(store)) {
  if (dir === 'node_modules' || dir === 'lock.yaml' || dir.includes('@file+')) continue
  const name = dir.startsWith('@') ? dir.slice(0, dir.indexOf('@', 1)).replace('+', '/') : dir.split('@')[0]
  const { version } = readJson(join(store, dir, 'node_modules', name, 'package.json'))
  packages++
  if (devTools.includes(name)) fail(`${name} is a development tool`)
  if (!locked.has(`${name}@${version}`)) fail(`${name}@${version} is not the version of pnpm-lock.yaml`)
  if (patched.includes(`${name}@${version}`) && !dir.includes('_patch_hash=')) fail(`${name} is not patched`)
}
let bytes = 0
for (const path of walk(deployDir)) {
  const stat = lstatSync(path)
  if (stat.isSymbolicLink()) {
    const target = resolve(path, '..', readlinkSync(path))
    if (isOutside(target) || !existsSync(target)) fail(`${path} links outside the folder, or to nothing`)
  } else if (stat.isFile()) bytes += stat.size
}
const start = readJson(join(serverDir, 'package.json')).scripts['start:prod']
console.log(
  `deploy:server: ${deployDir}: dist/ and ${packages} packages, ${(bytes / 2 ** 20).toFixed(1)} MiB. ` +
    `Start it from that folder with \`${start}\``,
)
