/**
 * End-to-end run of the examples: Clerk's Next.js Client Trust guide pages (web/examples/nextjs-email-code and
 * nextjs-sms-code, unchanged but for the import) against a real `trustgate serve` (dev mode, throwaway SQLite),
 * in headless Chromium.
 *
 *   make build          # once: bin/trustgate
 *   cd web && npm run e2e:examples   # (also part of `npm run e2e`)
 *
 * The example app (web/examples/vite.config.ts) is built into a temporary directory and served by two small
 * static servers on their own loopback ports: two other origins, like two deployed Next.js apps, one per
 * application. Each application lists its app's origin in `allowedOrigins` (set through the admin API), and the
 * SDK runs in its default cookie mode: the `__client` cookie of the trustgate origin travels on the cross-origin
 * credentialed requests (127.0.0.1 on another port is same-site) and the server's CORS answers allow credentials.
 *
 * Bounded: every step has a timeout and the whole run is killed after RUN_TIMEOUT_MS; the servers are stopped and
 * the temporary directories removed in every case.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { build } from 'vite'
import { Admin, Device, Server, ROOT, shot, sleep, StaticSite } from './lib.mjs'

const RUN_TIMEOUT_MS = 5 * 60_000
const STEP = { timeout: 90_000 }
// The email-code step waits out the 30 s resend cooldown once.
const LONG_STEP = { timeout: 120_000 }
const RESEND_COOLDOWN_MS = 30_000

const EMAIL_USER = { email: 'casey.example@example.com', password: 'example-email-code-password-1' }
const SMS_USER = { phone: '+15551230042', password: 'example-sms-code-password-1' }

const server = new Server()
const devices = []
const sites = []
let outDir
let admin // Admin API client with an owner sk_ key
let emailApp // the default application: { id, publishableKey }
let smsApp // a second application with email disabled: { id, publishableKey }
let emailSite // the nextjs-email-code example app
let smsSite // the nextjs-sms-code example app

const watchdog = setTimeout(async () => {
  console.error(`e2e examples: the run took longer than ${RUN_TIMEOUT_MS / 1000} s; stopping.`)
  await Promise.allSettled([...devices.map((d) => d.close()), ...sites.map((s) => s.stop())])
  await server.stop()
  process.exit(2)
}, RUN_TIMEOUT_MS)
watchdog.unref()

function device(name) {
  const d = new Device(name)
  devices.push(d)
  return d
}

/**
 * onDevice runs fn on a device's page; it also fails on a CORS refusal in the console; on failure it saves a
 * screenshot and prints the page's text (to the temp directory, not docs/); it always quits the browser.
 */
async function onDevice(d, fn) {
  const page = await d.open()
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /CORS|Access-Control/i.test(msg.text())) d.problems.push(`console: ${msg.text()}`)
  })
  try {
    await fn(page)
  } catch (err) {
    const file = join(tmpdir(), `trustgate-e2e-failure-${d.name}.png`)
    await page.screenshot({ path: file, fullPage: true }).catch(() => {})
    const text = await page.locator('body').innerText().catch(() => '(no text)')
    err.message += `\n  at ${page.url()}\n  screenshot: ${file}\n  page text:\n${text.slice(0, 1500)}\n  server log:\n${server.logTail(15)}`
    throw err
  } finally {
    await d.close()
  }
}

/** graphqlRequests counts the page's requests to trustgate's /graphql. */
function graphqlRequests(page) {
  const seen = []
  page.on('request', (r) => {
    if (r.url() === `${server.url}/graphql` && r.method() === 'POST') seen.push(r.postDataJSON()?.operationName ?? '?')
  })
  return seen
}

/** pushed is where the page's `router.push` sent the user (the recording `next/navigation` shim). */
const pushed = (page) => page.evaluate(() => window.trustgateExample?.navigation.pushed ?? null)

async function expectSignedIn(page, who) {
  await page.getByRole('heading', { name: 'Signed in' }).waitFor()
  assert.equal(new URL(page.url()).pathname, '/')
  assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), who)
  assert.match(await page.getByTestId('session-id').textContent(), /\S/)
}

describe('Clerk Next.js Client Trust examples against trustgate (headless Chromium)', { timeout: RUN_TIMEOUT_MS - 30_000 }, () => {
  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'trustgate-e2e-examples-'))
    await build({ configFile: join(ROOT, 'web', 'examples', 'vite.config.ts'), build: { outDir, emptyOutDir: true }, logLevel: 'warn' })

    await server.start()
    const key = server.cli(['keys', 'create', '--role', 'owner'])
    admin = new Admin(server.url, key.key)
    const { applications } = await admin.ready()
    const config = await (await fetch(`${server.url}/dashboard/config.json`)).json()
    emailApp = applications.find((a) => a.publishableKey !== config.publishableKey)
    assert.ok(emailApp, `expected a default application, got ${JSON.stringify(applications)}`)
    const { createApplication } = await admin.gql(
      'mutation($i: CreateApplicationInput!) { createApplication(input: $i) { id publishableKey } }',
      { i: { name: 'SMS example' } },
    )
    smsApp = createApplication

    emailSite = new StaticSite(outDir, { example: 'nextjs-email-code', url: server.url, publishableKey: emailApp.publishableKey })
    smsSite = new StaticSite(outDir, { example: 'nextjs-sms-code', url: server.url, publishableKey: smsApp.publishableKey })
    sites.push(emailSite, smsSite)
    await emailSite.start()
    await smsSite.start()

    const settings = 'mutation($a: ID!, $i: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $a, input: $i) { clientTrustEnabled emailEnabled phoneEnabled firstFactors allowedOrigins } }'
    const email = await admin.gql(settings, { a: emailApp.id, i: { clientTrustEnabled: true, allowedOrigins: [emailSite.origin] } })
    assert.deepEqual(email.updateAppSettings.allowedOrigins, [emailSite.origin])
    const sms = await admin.gql(settings, {
      a: smsApp.id,
      i: { clientTrustEnabled: true, emailEnabled: false, phoneEnabled: true, firstFactors: ['password', 'phone_code'], allowedOrigins: [smsSite.origin] },
    })
    assert.equal(sms.updateAppSettings.emailEnabled, false)

    const createUser = 'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }'
    await admin.gql(createUser, { a: emailApp.id, i: { emailAddress: EMAIL_USER.email, password: EMAIL_USER.password, emailVerified: true } })
    await admin.gql(createUser, { a: smsApp.id, i: { phoneNumber: SMS_USER.phone, password: SMS_USER.password, phoneVerified: true } })
  })

  after(async () => {
    await Promise.allSettled([...devices.map((d) => d.close()), ...sites.map((s) => s.stop())])
    await server.stop()
    for (const d of devices) d.cleanup()
    server.cleanup()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
    clearTimeout(watchdog)
  })

  const laptop = device('example-email')

  it('email-code page: a new profile is asked for the emailed code; wrong code, resend, start over, then signed in', LONG_STEP, async () => {
    await onDevice(laptop, async (page) => {
      const requests = graphqlRequests(page)
      const signIn = async () => {
        await page.getByRole('heading', { name: 'Sign in' }).waitFor()
        await page.getByLabel('Enter email address').fill(EMAIL_USER.email)
        await page.getByLabel('Enter password').fill(EMAIL_USER.password)
        await page.getByRole('button', { name: 'Continue' }).click()
        await page.getByRole('heading', { name: 'Verify your account' }).waitFor()
      }
      await page.goto(`${emailSite.origin}/sign-in`)
      await signIn()
      const first = await admin.message(emailApp.id, EMAIL_USER.email, 'client_trust_code')
      assert.equal(first.channel, 'email')
      const sentAt = Date.parse(first.createdAt)

      // A wrong code: errors.fields.code.message, next to the input.
      const wrong = first.code === '000000' ? '111111' : '000000'
      await page.getByLabel('Code').fill(wrong)
      await page.getByRole('button', { name: 'Verify' }).click()
      const codeError = page.locator('#code + p')
      await codeError.waitFor()
      assert.equal((await codeError.textContent()).trim(), 'Incorrect code.')
      assert.deepEqual(await pushed(page), [])

      // "I need a new code" at once: the server's resend cooldown, shown in the page's error output.
      await page.getByRole('button', { name: 'I need a new code' }).click()
      await page.getByText('verification_code_too_many_requests').waitFor()

      // After the cooldown it sends a new code.
      await sleep(Math.max(0, sentAt + RESEND_COOLDOWN_MS + 1_000 - Date.now()))
      await page.getByRole('button', { name: 'I need a new code' }).click()
      const second = await admin.message(emailApp.id, EMAIL_USER.email, 'client_trust_code')
      assert.notEqual(second.id, first.id)
      await page.getByText('verification_code_too_many_requests').waitFor({ state: 'detached' })

      // "Start over" forgets the attempt without a request.
      const before = requests.length
      await page.getByRole('button', { name: 'Start over' }).click()
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
      await sleep(300)
      assert.deepEqual(requests.slice(before), [], 'Start over sends no request')

      // A new attempt: a fresh code, then finalize({ navigate }) sends the user home.
      await signIn()
      const third = await admin.message(emailApp.id, EMAIL_USER.email, 'client_trust_code')
      await page.getByLabel('Code').fill(third.code)
      await shot(page, '20-example-email-code-verify')
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, EMAIL_USER.email)
      assert.deepEqual(await pushed(page), ['/'])
      assert.ok(requests.includes('SessionTokenCreate'), `finalize activated the session: ${requests.join(', ')}`)

      // The device is remembered across a reload: the cross-origin __client cookie works.
      await page.reload()
      await expectSignedIn(page, EMAIL_USER.email)
    })
  })

  it('email-code page: the same profile, restarted, signs in without a code (status complete → finalize)', STEP, async () => {
    await onDevice(laptop, async (page) => {
      await page.goto(`${emailSite.origin}/`)
      await expectSignedIn(page, EMAIL_USER.email)
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('heading', { name: 'Signed out' }).waitFor()
      await page.getByRole('link', { name: 'Sign in' }).click()
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
      await page.getByLabel('Enter email address').fill(EMAIL_USER.email)
      await page.getByLabel('Enter password').fill(EMAIL_USER.password)
      await page.getByRole('button', { name: 'Continue' }).click()
      await expectSignedIn(page, EMAIL_USER.email)
      assert.deepEqual(await pushed(page), ['/'])
    })
  })

  it('sms-code page: an application with email disabled texts the code; verified, then signed in', STEP, async () => {
    const d = device('example-sms')
    await onDevice(d, async (page) => {
      await page.goto(`${smsSite.origin}/sign-in`)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
      await page.getByLabel('Enter phone number').fill(SMS_USER.phone)
      await page.getByLabel('Enter password').fill(SMS_USER.password)
      await page.getByRole('button', { name: 'Continue' }).click()
      await page.getByRole('heading', { name: 'Verify your account' }).waitFor()
      const sms = await admin.message(smsApp.id, SMS_USER.phone, 'client_trust_code')
      assert.equal(sms.channel, 'sms')
      await page.getByLabel('Code').fill(sms.code)
      await shot(page, '21-example-sms-code-verify')
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, SMS_USER.phone)
      assert.deepEqual(await pushed(page), ['/'])
    })
  })

  it('loaded nothing from other hosts and raised no page error, CSP violation or CORS refusal', () => {
    const problems = devices.flatMap((d) => d.problems.map((p) => `${d.name}: ${p}`))
    assert.deepEqual(problems, [])
  })
})
