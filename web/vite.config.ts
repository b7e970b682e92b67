/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// The SDK is consumed through the package names apps would use, so the examples read exactly like Clerk's guides.
// Entries match by prefix, in order: the subpaths come before their package.
const alias = {
  '@trustgate/react/types': here('./sdk/types.ts'),
  '@trustgate/react/legacy': here('./sdk/reactLegacy.ts'),
  '@trustgate/js/legacy': here('./sdk/legacy.ts'),
  '@trustgate/react': here('./sdk/react.ts'),
  '@trustgate/js': here('./sdk/index.ts'),
}

// keepGitkeep puts dist/.gitkeep back after Vite empties dist/, so the Go embed of web/dist always has a file.
function keepGitkeep(): Plugin {
  return {
    name: 'trustgate-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(here('./dist/.gitkeep'), '')
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [react(), keepGitkeep()],
  resolve: { alias },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  // `npm run dev` serves the app with hot reload and sends the API (GraphQL, dashboard config, CSV export) to a
  // local trustgate server.
  server: {
    proxy: Object.fromEntries(
      ['/graphql', '/dashboard/config.json', '/admin'].map((p) => [p, process.env.TRUSTGATE_URL ?? 'http://127.0.0.1:8080']),
    ),
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./test/setup.ts'],
    include: ['sdk/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}', 'examples/**/*.test.{ts,tsx}'],
    // The examples import next/navigation; tests get the recording shim instead of Next.js.
    alias: { 'next/navigation': here('./examples/shims/next-navigation.ts') },
    maxWorkers: 2,
    testTimeout: 30_000,
  },
})
