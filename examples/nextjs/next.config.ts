import type { NextConfig } from 'next'

const here = import.meta.dirname

const config: NextConfig = {
  poweredByHeader: false,
  // This app sits inside the API's repository but is a project of its own: without these,
  // Next.js takes the repository's lockfile for the workspace root.
  turbopack: { root: here },
  outputFileTracingRoot: here,
}

export default config
