import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * The example app (`index.html`, `app/main.tsx`): Clerk's Next.js Client Trust pages built as a small separate
 * Vite app that the end-to-end run serves from its own origin. It is never built into `web/dist` (which the Go
 * binary embeds): `e2e/examples.mjs` passes a temporary `build.outDir`; the default is under the OS temp dir.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^@trustgate\/react\/types$/, replacement: here('../sdk/types.ts') },
      { find: /^@trustgate\/react\/legacy$/, replacement: here('../sdk/reactLegacy.ts') },
      { find: /^@trustgate\/js\/legacy$/, replacement: here('../sdk/legacy.ts') },
      { find: /^@trustgate\/react$/, replacement: here('../sdk/react.ts') },
      { find: /^@trustgate\/js$/, replacement: here('../sdk/index.ts') },
      // The pages import Next.js's router; the app's records where it was sent and changes the URL.
      { find: /^next\/navigation$/, replacement: here('./app/next-navigation.ts') },
    ],
  },
  build: { outDir: join(tmpdir(), 'trustgate-examples'), emptyOutDir: true, sourcemap: false, reportCompressedSize: false },
  logLevel: 'warn',
})
