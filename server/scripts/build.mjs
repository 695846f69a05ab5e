// Production build: the server, its CLIs and the workspace packages they import (which
// export TypeScript sources) bundled into plain ESM under dist/. npm dependencies stay
// external: they load from node_modules as installed (PGlite finds its wasm there, the docs
// page its swagger-ui-dist assets), so `pnpm install --prod` plus dist/ is a deployment.
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Bundles `@todo/*` and relative imports; leaves every other bare import to node_modules. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@todo/') ? undefined : { path: args.path, external: true },
    )
  },
}

await rm(`${root}dist`, { recursive: true, force: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'src/main.ts',
    'cli/migrate': 'src/cli/migrate.ts',
    'cli/token': 'src/cli/token.ts',
    'cli/keygen': 'src/cli/keygen.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  plugins: [externalPackages],
  metafile: true,
  logLevel: 'warning',
})
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .reduce((sum, [, output]) => sum + output.bytes, 0)
console.log(`built dist/ (${Math.round(bytes / 1024)} kB of JavaScript)`)
