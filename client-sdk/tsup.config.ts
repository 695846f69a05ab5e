import { defineConfig } from 'tsup'

/**
 * ESM with bundled declarations, one entry per export. Dependencies and peers stay external;
 * nothing of the workspace is imported at run time (the router type is generated).
 */
export default defineConfig({
  entry: { index: 'src/index.ts', trpc: 'src/trpc.ts', rest: 'src/rest.ts' },
  format: ['esm'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
})
