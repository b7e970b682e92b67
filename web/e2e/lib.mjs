/**
 * Helpers of the end-to-end run: a real `trustgate serve` (dev mode, throwaway SQLite), its CLI, the dev outbox,
 * TOTP codes, Debian's Chromium driven by playwright-core with one user-data-dir per "device", a static server
 * for the example app (another origin), and a landing page on another origin for `?redirect_url=`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { chromium } from 'playwright-core'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const BIN = process.env.TRUSTGATE_BIN ?? join(ROOT, 'bin', 'trustgate')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/**
 * Where the run's screenshots go: the committed docs/screenshots/ only when asked (UPDATE_SCREENSHOTS=1, as
 * `npm run screenshots` does), else a temporary directory, so that `make test` leaves the working tree as it found it.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'trustgate-e2e-screenshots')

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** sleep waits ms milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** freePort asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

/**
 * Server is one `trustgate serve` in dev mode on a free port with a throwaway SQLite database; `cli()` runs
 * other subcommands against the same database.
 */
export class Server {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'trustgate-e2e-'))
    this.env = {
      ...process.env,
      TRUSTGATE_DEV: 'true',
      TRUSTGATE_DATABASE_URL: `sqlite://${join(this.dir, 'e2e.db')}`,
      TRUSTGATE_SECRET: 'e2e-root-secret-0123456789abcdef0123456789abcdef',
    }
    this.logPath = join(this.dir, 'server.log')
    this.proc = null
  }

  async start() {
    if (!existsSync(BIN)) throw new Error(`${BIN} does not exist: run \`make build\` first (or set TRUSTGATE_BIN).`)
    this.port = await freePort()
    this.url = `http://127.0.0.1:${this.port}`
    const log = createWriteStream(this.logPath)
    this.proc = spawn(BIN, ['serve', '--addr', `127.0.0.1:${this.port}`], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout.pipe(log)
    this.proc.stderr.pipe(log)
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })))
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`trustgate serve exited early:\n${this.logTail()}`)
      try {
        const r = await fetch(`${this.url}/readyz`)
        if (r.ok) return
      } catch {
        // not listening yet
      }
      await sleep(200)
    }
    throw new Error(`trustgate serve did not become ready in 30 s:\n${this.logTail()}`)
  }

  /** cli runs `trustgate ARGS…` on the same database and parses its --json output. */
  cli(args, input) {
    const r = spawnSync(BIN, [...args, '--json'], { env: this.env, input: input ?? '', encoding: 'utf8', timeout: 30_000 })
    if (r.status !== 0) throw new Error(`trustgate ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, 'utf8').trim().split('\n').slice(-lines).join('\n')
    } catch {
      return '(no log)'
    }
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM')
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5_000)
      await this.exited
      clearTimeout(t)
    }
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Admin calls the admin GraphQL API with a secret key. */
export class Admin {
  constructor(url, key) {
    this.url = url
    this.key = key
    this.consumed = new Set()
  }

  async gql(query, variables = {}) {
    const r = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ query, variables }),
    })
    const body = await r.json()
    if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`)
    return body.data
  }

  /**
   * ready waits until the server honours this key: roles created by the CLI (another process) reach a running
   * server when it next polls the policy version.
   */
  async ready(timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        return await this.gql('{ applications { id name publishableKey } }')
      } catch (err) {
        if (Date.now() > deadline || !/permission_denied|authentication_invalid/.test(String(err))) throw err
        await sleep(250)
      }
    }
  }

  /**
   * code waits for the newest outbox message of `kind` to `to` in the application that no earlier call returned,
   * and returns the 6-digit code in it.
   */
  async code(applicationId, to, kind, timeoutMs = 15_000) {
    return (await this.message(applicationId, to, kind, timeoutMs)).code
  }

  /** message is `code` returning the whole outbox message (`{ id, createdAt, channel, to, kind, text, code }`). */
  async message(applicationId, to, kind, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const { outbox } = await this.gql(
        'query($a: ID!) { outbox(applicationId: $a, first: 50) { id createdAt channel to kind text } }',
        { a: applicationId },
      )
      const msg = outbox.find((m) => m.to === to && m.kind === kind && !this.consumed.has(m.id))
      if (msg) {
        for (const m of outbox) if (m.to === to && m.kind === kind) this.consumed.add(m.id)
        const code = /\b(\d{6})\b/.exec(msg.text)?.[1]
        if (!code) throw new Error(`no 6-digit code in outbox message ${msg.id}: ${msg.text}`)
        return { ...msg, code }
      }
      await sleep(250)
    }
    throw new Error(`no ${kind} message to ${to} arrived in ${timeoutMs} ms`)
  }
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

/**
 * StaticSite serves a built single-page app from `dir` on its own loopback port (its own origin, like a separately
 * deployed Next.js app): files by path, `/trustgate.json` from `config`, and index.html for any other path
 * without an extension (client-side routes such as /sign-in).
 */
export class StaticSite {
  constructor(dir, config) {
    this.dir = resolve(dir)
    this.config = config
    this.server = null
  }

  start() {
    this.server = createHttpServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname)
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end()
        return
      }
      if (path === '/trustgate.json') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(this.config))
        return
      }
      let file = normalize(join(this.dir, path))
      if (file !== this.dir && !file.startsWith(this.dir + sep)) {
        res.writeHead(403).end()
        return
      }
      if (!extname(file)) file = join(this.dir, 'index.html')
      let body
      try {
        body = readFileSync(file)
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
        return
      }
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(req.method === 'HEAD' ? undefined : body)
    })
    return new Promise((res, rej) => {
      this.server.once('error', rej)
      this.server.listen(0, '127.0.0.1', () => {
        this.port = this.server.address().port
        this.origin = `http://127.0.0.1:${this.port}`
        res(this.origin)
      })
    })
  }

  stop() {
    if (!this.server) return Promise.resolve()
    this.server.closeAllConnections()
    return new Promise((r) => this.server.close(() => r()))
  }
}

/**
 * Landing is a page on its own loopback port: another origin, like the app a hosted page sends its user back to
 * (`?redirect_url=`). Every GET answers a small HTML page whose heading is `heading`; `paths` records what was asked.
 */
export class Landing {
  constructor(heading) {
    this.heading = heading
    this.paths = []
    this.server = null
  }

  start() {
    this.server = createHttpServer((req, res) => {
      this.paths.push(req.url)
      const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${this.heading}</title></head><body><h1>${this.heading}</h1></body></html>`
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html)
    })
    return new Promise((res, rej) => {
      this.server.once('error', rej)
      this.server.listen(0, '127.0.0.1', () => {
        this.origin = `http://127.0.0.1:${this.server.address().port}`
        res(this.origin)
      })
    })
  }

  stop() {
    if (!this.server) return Promise.resolve()
    this.server.closeAllConnections()
    return new Promise((r) => this.server.close(() => r()))
  }
}

/** base32Decode reads an RFC 4648 base32 string (the TOTP secret). */
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const clean = s.replace(/[\s=]/g, '').toUpperCase()
  let bits = 0
  let value = 0
  const out = []
  for (const ch of clean) {
    const i = alphabet.indexOf(ch)
    if (i < 0) throw new Error(`not base32: ${ch}`)
    value = (value << 5) | i
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** totp is the RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) for `secret`, `step` periods from now. */
export function totp(secret, step = 0, now = Date.now()) {
  const counter = Math.floor(now / 1000 / 30) + step
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest()
  const off = h[h.length - 1] & 0x0f
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3]
  return String(bin % 1_000_000).padStart(6, '0')
}

/**
 * Device is one browser profile (its own user-data-dir), i.e. one trustgate client: open() launches Chromium
 * on it, close() quits, and opening it again brings back its cookies.
 */
export class Device {
  constructor(name) {
    this.name = name
    this.dir = mkdtempSync(join(tmpdir(), `trustgate-e2e-${name}-`))
    this.context = null
    this.problems = []
  }

  async open() {
    this.context = await chromium.launchPersistentContext(this.dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 860 },
      colorScheme: 'light',
      locale: 'en-GB',
      timezoneId: 'UTC',
      acceptDownloads: true,
    })
    this.context.setDefaultTimeout(15_000)
    const page = this.context.pages()[0] ?? (await this.context.newPage())
    page.on('pageerror', (err) => this.problems.push(`pageerror: ${err.message}`))
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) this.problems.push(`console: ${msg.text()}`)
    })
    // Nothing may leave the machine: any request to another host fails the run.
    await this.context.route(/^(?!http:\/\/127\.0\.0\.1[:/]|data:|blob:).*/, (route) => {
      this.problems.push(`external request: ${route.request().url()}`)
      return route.abort()
    })
    this.page = page
    return page
  }

  async close() {
    if (this.context) await this.context.close()
    this.context = null
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** shot saves a full-page PNG of `page` under SCREENSHOTS. */
export async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.waitForLoadState('networkidle').catch(() => {})
  // A sticky header would be drawn wherever the page was scrolled to; start from the top.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' })
}
