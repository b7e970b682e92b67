/**
 * End-to-end run: a real `trustgate serve` (dev mode, throwaway SQLite) driven through headless Chromium.
 *
 *   make build          # once: builds web/dist and bin/trustgate
 *   cd web && npm run e2e
 *
 * Steps (in order; each needs the ones before it): sign-up with email verification; sign-in from a fresh
 * profile asks for the emailed code; the same profile is not asked again; a new profile is; TOTP enrolment on
 * /account, then an MFA sign-in; a session from before MFA confirms it's the user with a backup code, in place,
 * before it may change the backup codes; an auditor operator sees the history but no settings controls; an admin
 * operator locks and unlocks a user, rejects an invalid setting, turns Client Trust off, and a new profile then
 * signs in without a code; that user adds a second email address on /account, verifies it with the emailed code
 * and makes it primary; an owner operator creates an API key; a user who forgot their password resets it with
 * the emailed code from the hosted sign-in page, after which the old password fails and their other session is
 * over; the hosted sign-in page goes to `?redirect_url=` on an origin in the application's allowedOrigins (a page
 * on another loopback port), and to /account for one not listed; while the server cannot be reached, the sign-in form
 * keeps what was typed and /account says so (not "signed out") until "Try again" brings it back; a user adds two
 * phone numbers on /account, verifies each with the texted code, turns two-step verification on for both and makes
 * the newer one the default, after which a sign-in's second step texts its code to that number; freeing a number on
 * the phone then offers to sign out the other devices, which ends the laptop's session. Screenshots go to
 * docs/screenshots/ with UPDATE_SCREENSHOTS=1 (npm run screenshots), else to a temp directory.
 *
 * Bounded: every step has a timeout and the whole run is killed after RUN_TIMEOUT_MS; the server is stopped
 * and the temporary directories removed in every case.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Admin, Device, Landing, Server, shot, totp } from './lib.mjs'

const RUN_TIMEOUT_MS = 8 * 60_000
const STEP = { timeout: 90_000 }

const USER = { email: 'jane.e2e@example.com', password: 'correct-horse-battery-e2e' }
const AUDITOR = { email: 'auditor@example.com', password: 'auditor-password-e2e-1' }
const ADMIN = { email: 'admin@example.com', password: 'admin-password-e2e-1' }
const OWNER = { email: 'owner@example.com', password: 'owner-password-e2e-1' }
const PAT = { email: 'pat.e2e@example.com', password: 'pat-password-e2e-1' }
// Pat's phone numbers, masked on the second step to their last two digits (+*********11, +*********22): told apart there too.
const OLDER = '+15555550111'
const NEWER = '+15555550122'

const server = new Server()
const devices = []
const landings = [] // pages on other origins that ?redirect_url= may send the user to
let admin // Admin API client with an owner sk_ key
let app // the default application: { id, publishableKey }
let dashboardApp // the built-in dashboard application
let totpSecret
let backupCodes = [] // shown when TOTP was enrolled

/**
 * step runs one test on a device's page; on failure it saves a screenshot and prints the page's text (to the
 * temp directory, not docs/), and it always quits the browser.
 */
async function onDevice(d, fn) {
  const page = await d.open()
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

function device(name) {
  const d = new Device(name)
  devices.push(d)
  return d
}

const watchdog = setTimeout(async () => {
  console.error(`e2e: the run took longer than ${RUN_TIMEOUT_MS / 1000} s; stopping.`)
  await Promise.allSettled([...devices.map((d) => d.close()), ...landings.map((l) => l.stop())])
  await server.stop()
  process.exit(2)
}, RUN_TIMEOUT_MS)
watchdog.unref()

/** signInHosted fills the hosted /sign-in form of the default application. */
async function signInHosted(page, who = USER) {
  await page.goto(`${server.url}/sign-in?publishableKey=${app.publishableKey}`)
  await page.getByLabel('Email address').fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(who.password)
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** enterCode types a 6-digit code into the code screen and submits it. */
async function enterCode(page, code, label = 'Verification code') {
  await page.getByLabel(label).fill(code)
  await page.getByRole('button', { name: 'Verify' }).click()
}

async function expectAccount(page) {
  await page.getByRole('heading', { name: 'Your account' }).waitFor()
  assert.match(new URL(page.url()).pathname, /^\/account/)
}

async function signOutHosted(page) {
  // Exact: after a factor change /account also offers "Sign out other devices".
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
}

/** signInDashboard signs an operator in on /dashboard, answering the new-device code from the outbox. */
async function signInDashboard(page, who) {
  await page.goto(`${server.url}/dashboard`)
  await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor()
  await page.getByLabel('Email address').fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(who.password)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('heading', { name: 'Check your email' }).waitFor()
  const code = await admin.code(dashboardApp.id, who.email, 'client_trust_code')
  await enterCode(page, code)
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor()
}

async function openDefaultApp(page) {
  await page.getByRole('link', { name: 'Default application' }).click()
  await page.getByRole('navigation', { name: 'Application sections' }).waitFor()
}

async function tab(page, name) {
  await page.getByRole('navigation', { name: 'Application sections' }).getByRole('link', { name }).click()
}

describe('trustgate end to end (headless Chromium)', { timeout: RUN_TIMEOUT_MS - 30_000 }, () => {
  before(async () => {
    await server.start()
    const key = server.cli(['keys', 'create', '--role', 'owner'])
    admin = new Admin(server.url, key.key)
    server.cli(['operators', 'create', '--email', AUDITOR.email, '--role', 'auditor'], `${AUDITOR.password}\n`)
    server.cli(['operators', 'create', '--email', ADMIN.email, '--role', 'admin'], `${ADMIN.password}\n`)
    server.cli(['operators', 'create', '--email', OWNER.email, '--role', 'owner'], `${OWNER.password}\n`)
    const { applications } = await admin.ready()
    const config = await (await fetch(`${server.url}/dashboard/config.json`)).json()
    dashboardApp = applications.find((a) => a.publishableKey === config.publishableKey)
    app = applications.find((a) => a.publishableKey !== config.publishableKey)
    assert.ok(dashboardApp && app, `expected the dashboard and a default application, got ${JSON.stringify(applications)}`)
    // Every browser profile here reaches the server from 127.0.0.1, so Clerk's per-IP limits (3 attempts per
    // 10 s) would count one person's several devices as one flood and fail steps by how fast the machine is. Real
    // devices have their own addresses; the limits themselves are tested in Go (cmd/trustgate/ratelimit_test.go)
    // and their error screen in Vitest (SignInPage.test.tsx).
    for (const a of [app, dashboardApp]) {
      await admin.gql(
        'mutation($id: ID!, $in: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $id, input: $in) { clientTrustEnabled } }',
        { id: a.id, in: { rateLimitSignInsPerIp: 100, rateLimitAttemptsPerIp: 100, rateLimitCodeSendsPerIp: 100 } },
      )
    }
  })

  after(async () => {
    await Promise.allSettled([...devices.map((d) => d.close()), ...landings.map((l) => l.stop())])
    await server.stop()
    for (const d of devices) d.cleanup()
    server.cleanup()
    clearTimeout(watchdog)
  })

  const laptop = device('laptop') // signs up
  const phone = device('phone') // signs in: new device, then known; enrols TOTP
  const tablet = device('tablet') // signs in before TOTP; later confirms it's the user in place
  const kiosk = device('kiosk') // signs Sam in once Client Trust is off; Sam then adds and verifies a second address
  const patLaptop = device('pat-laptop') // adds and reserves Pat's numbers; later signed out from the phone
  const patPhone = device('pat-phone') // signs Pat in with the texted code; then signs the laptop out

  it('signs up with email verification', STEP, async () => {
    await onDevice(laptop, async (page) => {
      await page.goto(`${server.url}/sign-up?publishableKey=${app.publishableKey}`)
      await page.getByRole('heading', { name: 'Create your account' }).waitFor()
      await shot(page, '01-sign-up')
      await page.getByLabel('Email address').fill(USER.email)
      await page.getByLabel('Password', { exact: true }).fill(USER.password)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.getByRole('heading', { name: 'Verify your email' }).waitFor()
      await page.getByRole('button', { name: /Resend code in/ }).waitFor()
      const code = await admin.code(app.id, USER.email, 'verification_code')
      await shot(page, '02-sign-up-verify-email')
      await enterCode(page, code)
      await expectAccount(page)
      await page.getByText(USER.email).first().waitFor()
    })
  })

  it('asks a fresh browser profile for the emailed code, then signs in', STEP, async () => {
    await onDevice(phone, async (page) => {
      await signInHosted(page)
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()
      await page.getByText("You're signing in from a new device.").waitFor()
      await page.getByRole('button', { name: /Resend code in/ }).waitFor()
      await shot(page, '03-sign-in-new-device-code')
      const code = await admin.code(app.id, USER.email, 'client_trust_code')
      await enterCode(page, code)
      await expectAccount(page)
      await shot(page, '04-account')
    })
  })

  it('does not ask the same profile again', STEP, async () => {
    // Same user-data-dir: the __client cookie survived the restart.
    await onDevice(phone, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      await signOutHosted(page)
      await signInHosted(page)
      await expectAccount(page)
    })
  })

  it('asks a new profile for a code again', STEP, async () => {
    await onDevice(tablet, async (page) => {
      // A wrong password first: the error shows beside the password field.
      await signInHosted(page, { ...USER, password: 'not-the-password' })
      const passwordError = page.locator('#password-error')
      await passwordError.waitFor()
      assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true')
      await signInHosted(page)
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()
      await page.getByRole('button', { name: /Resend code in/ }).waitFor()
      const code = await admin.code(app.id, USER.email, 'client_trust_code')
      await enterCode(page, code)
      await expectAccount(page)
    })
  })

  it('enrols TOTP on /account, then signs in with MFA', STEP, async () => {
    await onDevice(phone, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      await page.getByRole('button', { name: 'Set up authenticator app' }).click()
      const key = page.locator('code.secret')
      await key.waitFor()
      totpSecret = (await key.textContent()).replace(/\s+/g, '')
      assert.match(totpSecret, /^[A-Z2-7]+=*$/)
      await shot(page, '05-account-totp-setup')
      await page.getByLabel('Code from the app').fill(totp(totpSecret))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.getByText('Your authenticator app is set up.').waitFor()
      await shot(page, '06-account-backup-codes')
      await page.getByRole('heading', { name: 'Your backup codes' }).waitFor()
      backupCodes = (await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim())
      assert.equal(backupCodes.length, 10)
      await page.getByRole('button', { name: "I've saved my codes" }).click()
      await signOutHosted(page)
      await signInHosted(page)
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
      await shot(page, '07-sign-in-mfa')
      // Each TOTP code works once and the enrolment used this period's: answer with the next period's code,
      // which the server accepts (one step of clock skew).
      await enterCode(page, totp(totpSecret, 1), 'Authentication code')
      await expectAccount(page)
    })
  })

  it('asks a session from before MFA to confirm with the second factor, in place, then goes on', STEP, async () => {
    // The tablet signed in before TOTP was enrolled: its session never verified a second factor, so changing
    // the backup codes asks for one. A backup code confirms it without signing in again.
    await onDevice(tablet, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      await page.getByRole('button', { name: 'Generate new codes' }).click()
      const dialog = page.getByRole('dialog', { name: "Confirm it's you" })
      await dialog.waitFor()
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      await dialog.getByLabel('Backup code').fill('aaaaa-bbbbb-ccccc')
      await dialog.getByRole('button', { name: 'Confirm' }).click()
      await dialog.locator('[id$="-error"]').first().waitFor()
      await shot(page, '07b-account-confirm-its-you')
      await dialog.getByLabel('Backup code').fill(backupCodes[0])
      await dialog.getByRole('button', { name: 'Confirm' }).click()
      await page.getByRole('heading', { name: 'Your backup codes' }).waitFor()
      const fresh = (await page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim())
      assert.equal(fresh.length, 10)
      assert.notDeepStrictEqual(new Set(fresh), new Set(backupCodes), 'a new set of codes, not the one saved at enrolment')
      assert.equal(await dialog.count(), 0)
    })
  })

  it('lets an auditor read the sign-in history but shows no settings controls', STEP, async () => {
    const d = device('auditor')
    await onDevice(d, async (page) => {
      await page.goto(`${server.url}/dashboard`)
      await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor()
      await shot(page, '08-dashboard-sign-in')
      await signInDashboard(page, AUDITOR)
      await openDefaultApp(page)
      const tabs = page.getByRole('navigation', { name: 'Application sections' })
      assert.equal(await tabs.getByRole('link', { name: 'Roles and API keys' }).count(), 0, 'auditors have no roles tab')

      await tab(page, 'Sign-in history')
      await page.getByRole('heading', { name: 'Sign-in history' }).waitFor()
      await page.getByRole('cell', { name: 'sign_in.completed' }).first().waitFor()
      await page.getByRole('cell', { name: 'client_trust.required' }).first().waitFor()
      await shot(page, '09-sign-in-history')

      // The CSV export, with the same filters, fetched with the operator's session token.
      await page.getByLabel('Kind').selectOption('client_trust.required')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await page.getByText('Showing 2 of 2').waitFor()
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()])
      const csv = readFileSync(await download.path(), 'utf8').trim().split('\n')
      assert.match(csv[0], /^id,at,applicationId,/)
      assert.equal(csv.length, 3, `header and two client_trust.required rows, got:\n${csv.join('\n')}`)
      assert.ok(csv.slice(1).every((line) => line.includes('client_trust.required')))

      await tab(page, 'Settings')
      await page.getByText('Your role can read these settings but not change them.').waitFor()
      await page.getByRole('heading', { name: 'Updates' }).waitFor()
      const settings = page.locator('.app__content')
      assert.equal(await settings.locator('input, select, textarea').count(), 0, 'no inputs on the settings page')
      assert.equal(await settings.getByRole('button').count(), 0, 'no buttons on the settings page')
      await shot(page, '10-settings-read-only-auditor')

      await tab(page, 'Users')
      await page.getByRole('link', { name: USER.email }).click()
      await page.getByRole('heading', { name: USER.email }).waitFor()
      for (const name of ['Lock', 'Ban', 'Reset MFA', 'Revoke trusted devices', 'Revoke']) {
        assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `auditor sees no ${name} button`)
      }
    })
  })

  it('lets an admin lock and unlock a user, rejects an invalid setting, and turn Client Trust off', STEP, async () => {
    const d = device('admin')
    await onDevice(d, async (page) => {
      await signInDashboard(page, ADMIN)
      await shot(page, '11-dashboard-applications')
      await openDefaultApp(page)

      // Users: search, detail, lock with confirmation, unlock.
      await tab(page, 'Users')
      await page.getByRole('heading', { name: 'Users' }).waitFor()
      await page.getByLabel('MFA').selectOption('true')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.getByRole('link', { name: USER.email }).waitFor()
      await shot(page, '12-users')
      await page.getByRole('link', { name: USER.email }).click()
      await page.getByRole('heading', { name: USER.email }).waitFor()
      await page.getByRole('cell', { name: /Trusted/ }).first().waitFor()
      await shot(page, '13-user-detail')
      await page.getByRole('button', { name: 'Lock', exact: true }).click()
      const dialog = page.getByRole('alertdialog')
      await dialog.waitFor()
      assert.equal(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), true, 'focus starts on Cancel')
      await shot(page, '14-confirm-lock')
      await dialog.getByRole('button', { name: 'Lock user' }).click()
      await page.getByText('The user was locked.').waitFor()
      await page.getByRole('button', { name: 'Unlock', exact: true }).click()
      await page.getByRole('alertdialog').getByRole('button', { name: 'Unlock' }).click()
      await page.getByText('The user was unlocked.').waitFor()

      // Settings: a server validation error appears beside its field.
      await tab(page, 'Settings')
      const attempts = page.getByLabel('Failed attempts before lockout')
      await attempts.fill('1')
      await page.getByRole('button', { name: 'Save settings' }).click()
      const error = page.locator('#lockoutMaxAttempts-error')
      await error.waitFor()
      assert.match(await error.textContent(), /lockoutMaxAttempts|between|least/i)
      assert.equal(await attempts.getAttribute('aria-invalid'), 'true')
      await shot(page, '15-settings-validation-error')
      await page.getByRole('button', { name: 'Discard changes' }).click()

      // Client Trust off.
      const clientTrust = page.getByLabel('Require a code on new devices')
      assert.equal(await clientTrust.isChecked(), true)
      await clientTrust.uncheck()
      await page.getByRole('button', { name: 'Save settings' }).click()
      await page.getByText('Settings saved.').waitFor()
      await shot(page, '16-settings-client-trust-off')
      const { application } = await admin.gql('query($id: ID!) { application(id: $id) { settings { clientTrustEnabled } } }', { id: app.id })
      assert.equal(application.settings.clientTrustEnabled, false)

      // The audit log names the operator and the change.
      await tab(page, 'Audit log')
      await page.getByRole('cell', { name: `operator:${ADMIN.email}` }).first().waitFor()
      await page.getByText('clientTrustEnabled').first().waitFor()
      await shot(page, '17-audit-log')

      await tab(page, 'Charts')
      await page.getByRole('heading', { name: 'Sign-ins per hour by outcome' }).waitFor()
      await page.locator('.recharts-surface').first().waitFor()
      await shot(page, '18-charts')
    })
  })

  it('signs a new profile in without a code once Client Trust is off', STEP, async () => {
    await onDevice(kiosk, async (page) => {
      // Jane has MFA now (which takes precedence); sign in as a second user without it, created through the admin API.
      await admin.gql(
        'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }',
        { a: app.id, i: { emailAddress: 'sam.e2e@example.com', password: USER.password, emailVerified: true } },
      )
      await signInHosted(page, { email: 'sam.e2e@example.com', password: USER.password })
      await expectAccount(page)
      const { signInEvents } = await admin.gql(
        'query($a: ID!) { signInEvents(applicationId: $a, first: 20, where: { kind: "client_trust.required", identifier: "sam.e2e@example.com" }) { totalCount } }',
        { a: app.id },
      )
      assert.equal(signInEvents.totalCount, 0, 'no Client Trust challenge for sam')
    })
  })

  it('lets a user add a second email address, verify it with the emailed code and make it primary', STEP, async () => {
    // Sam signed in with a password on the kiosk moments ago, so adding and making primary need no "Confirm it's you".
    const WORK = 'sam.work.e2e@example.com'
    await onDevice(kiosk, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      const emails = page.getByRole('region', { name: 'Email addresses' })
      await emails.getByRole('button', { name: 'Add an email address' }).click()
      await emails.getByLabel('New email address').fill(WORK)
      await emails.getByRole('button', { name: 'Add email address' }).click()
      await emails.getByRole('button', { name: /Resend code in/ }).waitFor()
      await enterCode(emails, await admin.code(app.id, WORK, 'verification_code'))
      await emails.getByText(`${WORK} is verified.`).waitFor()

      const row = emails.getByRole('listitem').filter({ hasText: WORK })
      await row.getByRole('button', { name: 'Make primary' }).click()
      const question = emails.getByRole('group', { name: /your primary email address\?/ })
      await question.getByText('Your other devices will need a code the next time they sign in.').waitFor()
      await question.getByRole('button', { name: 'Make primary' }).click()
      await emails.getByText(`${WORK} is now your primary email address.`, { exact: false }).waitFor()
      await row.getByText('Primary', { exact: true }).waitFor()
      assert.equal(await emails.getByRole('listitem').filter({ hasText: 'sam.e2e@example.com' }).getByText('Primary', { exact: true }).count(), 0)
    })
    const { users } = await admin.gql(
      'query($a: ID!, $q: String) { users(applicationId: $a, first: 1, where: { query: $q }) { edges { node { primaryEmailAddressId emailAddresses { id emailAddress } } } } }',
      { a: app.id, q: WORK },
    )
    const sam = users.edges[0]?.node
    assert.equal(sam.emailAddresses.find((e) => e.id === sam.primaryEmailAddressId)?.emailAddress, WORK, JSON.stringify(sam))
  })

  it('lets an owner create an API key and shows its secret once', STEP, async () => {
    const d = device('owner')
    await onDevice(d, async (page) => {
      await signInDashboard(page, OWNER)
      await openDefaultApp(page)
      await tab(page, 'Roles and API keys')
      await page.getByRole('heading', { name: 'Role assignments' }).waitFor()
      await page.getByLabel('Name').fill('CI deploys')
      await page.getByLabel('Role', { exact: true }).last().selectOption('support')
      await page.getByRole('button', { name: 'Create key' }).click()
      const secret = page.getByTestId('new-api-key')
      await secret.waitFor()
      const key = (await secret.textContent()).trim()
      assert.match(key, /^sk_/)
      await shot(page, '19-roles-and-api-keys')
      const r = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: `{ viewer { actor roles { role applicationId } } }` }),
      })
      const body = await r.json()
      assert.equal(body.data?.viewer?.roles?.[0]?.role, 'support', JSON.stringify(body))
      await page.getByRole('button', { name: 'I have stored it' }).click()
      assert.equal(await page.getByTestId('new-api-key').count(), 0, 'the secret is gone once dismissed')
    })
  })

  it('lets a user who forgot their password reset it from the hosted sign-in page', STEP, async () => {
    // A user of their own (Jane's password and MFA stay as the steps above left them), created through the admin
    // API, signed in on another profile first: the reset signs that session out.
    const RILEY = { email: 'riley.e2e@example.com', password: 'riley-old-password-e2e' }
    const NEW_PASSWORD = 'riley-new-password-e2e-2'
    await admin.gql(
      'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }',
      { a: app.id, i: { emailAddress: RILEY.email, password: RILEY.password, emailVerified: true } },
    )
    const desktop = device('riley-desktop')
    await onDevice(desktop, async (page) => {
      await signInHosted(page, RILEY)
      await expectAccount(page)
    })

    const d = device('riley-phone')
    await onDevice(d, async (page) => {
      await page.goto(`${server.url}/sign-in?publishableKey=${app.publishableKey}`)
      await page.getByLabel('Email address').fill(RILEY.email)
      await page.getByRole('button', { name: 'Forgot password?' }).click()
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor()
      await page.getByRole('button', { name: /Resend code in/ }).waitFor()
      const code = await admin.code(app.id, RILEY.email, 'reset_password_code')
      await page.getByLabel('Verification code').fill(code)
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
      await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD)
      await shot(page, '22-sign-in-reset-password')
      await page.getByRole('button', { name: 'Reset password' }).click()
      await expectAccount(page)
      await page.getByText(RILEY.email).first().waitFor()

      // The old password no longer works; the new one does.
      await signOutHosted(page)
      await signInHosted(page, RILEY)
      await page.locator('#password-error').waitFor()
      assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true')
      await signInHosted(page, { email: RILEY.email, password: NEW_PASSWORD })
      await expectAccount(page)
    })

    // The session on the other profile ended with the reset: /account sends it to the sign-in page.
    await onDevice(desktop, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    })
    const { signInEvents } = await admin.gql(
      'query($a: ID!) { signInEvents(applicationId: $a, first: 20, where: { kind: "password.reset", identifier: "riley.e2e@example.com" }) { totalCount } }',
      { a: app.id },
    )
    assert.equal(signInEvents.totalCount, 1, 'one password.reset event for riley')
  })

  it("goes to ?redirect_url= after sign-in when its origin is in the application's allowedOrigins, else to /account", STEP, async () => {
    // Client Trust is off since the admin's step (set again here, so that the step stands alone): a password
    // sign-in on a new profile completes at once (after a code it finishes the same way, in Finalizing).
    const allowed = new Landing('Back in the app')
    const unlisted = new Landing('Not an allowed origin')
    landings.push(allowed, unlisted)
    await allowed.start()
    await unlisted.start()
    const settings = 'mutation($a: ID!, $i: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $a, input: $i) { allowedOrigins } }'
    const { updateAppSettings } = await admin.gql(settings, { a: app.id, i: { clientTrustEnabled: false, allowedOrigins: [allowed.origin] } })
    assert.deepEqual(updateAppSettings.allowedOrigins, [allowed.origin])
    const ALEX = { email: 'alex.e2e@example.com', password: 'alex-password-e2e-1' }
    await admin.gql(
      'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }',
      { a: app.id, i: { emailAddress: ALEX.email, password: ALEX.password, emailVerified: true } },
    )
    const signIn = async (page, redirectUrl) => {
      const q = new URLSearchParams({ publishableKey: app.publishableKey, redirect_url: redirectUrl })
      await page.goto(`${server.url}/sign-in?${q}`)
      await page.getByLabel('Email address').fill(ALEX.email)
      await page.getByLabel('Password', { exact: true }).fill(ALEX.password)
      await page.getByRole('button', { name: 'Continue' }).click()
    }

    const d = device('redirect')
    await onDevice(d, async (page) => {
      const target = `${allowed.origin}/dashboard?from=sign-in`
      await signIn(page, target)
      await page.waitForURL(target)
      await page.getByRole('heading', { name: 'Back in the app' }).waitFor()
      assert.ok(allowed.paths.includes('/dashboard?from=sign-in'), `the allowed origin was asked for: ${allowed.paths.join(', ')}`)

      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      await signOutHosted(page)
      await signIn(page, `${unlisted.origin}/dashboard?from=sign-in`)
      await page.waitForURL((url) => url.origin === server.url && url.pathname === '/account')
      await expectAccount(page)
      assert.equal(new URL(page.url()).searchParams.get('redirect_url'), null, 'the refused redirect_url is dropped')
      assert.deepEqual(unlisted.paths, [], 'nothing was asked of the origin not listed')
    })
  })

  it('keeps what the user typed while the server cannot be reached, and recovers with "Try again"', STEP, async () => {
    // The network drops between the browser and the server (every /graphql request fails as a disconnected
    // network would, the page itself stays loaded). Client Trust is off since the admin's step (set again here).
    await admin.gql(
      'mutation($a: ID!, $i: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $a, input: $i) { clientTrustEnabled } }',
      { a: app.id, i: { clientTrustEnabled: false } },
    )
    const OLIVE = { email: 'olive.e2e@example.com', password: 'olive-password-e2e-1' }
    await admin.gql(
      'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }',
      { a: app.id, i: { emailAddress: OLIVE.email, password: OLIVE.password, emailVerified: true } },
    )
    const offline = (page) => page.route('**/graphql', (route) => route.abort('internetdisconnected'))
    const online = (page) => page.unroute('**/graphql')
    const d = device('offline')
    await onDevice(d, async (page) => {
      await page.goto(`${server.url}/sign-in?publishableKey=${app.publishableKey}`)
      await page.getByLabel('Email address').waitFor()
      await offline(page)
      await page.getByLabel('Email address').fill(OLIVE.email)
      await page.getByLabel('Password', { exact: true }).fill(OLIVE.password)
      await page.getByRole('button', { name: 'Continue' }).click()
      await page.getByText('Could not reach the server').first().waitFor()
      await shot(page, '23-sign-in-offline')
      assert.equal(await page.getByLabel('Email address').inputValue(), OLIVE.email, 'the email address is kept')
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), OLIVE.password, 'the password is kept')
      await online(page)
      await page.getByRole('button', { name: 'Continue' }).click()
      await expectAccount(page)

      // Signed in, the device reloads /account while the server cannot be reached: after the SDK's retries it
      // says so instead of taking the device for signed out, and "Try again" brings the account back.
      await offline(page)
      await page.reload()
      await page.getByRole('heading', { name: "We couldn't reach the server" }).waitFor()
      assert.match(new URL(page.url()).pathname, /^\/account/, 'still on /account, not sent to sign in')
      await online(page)
      await page.getByRole('button', { name: 'Try again' }).click()
      await expectAccount(page)
      await page.getByText(OLIVE.email).first().waitFor()
    })
  })

  it('adds two phone numbers on /account, turns on two-step verification for both and texts the default one', STEP, async () => {
    // A user of their own, created through the admin API; Client Trust is off since the admin's step (set again
    // here), so a password sign-in on a new profile completes at once, or asks for the second factor once there is one.
    await admin.gql(
      'mutation($a: ID!, $i: UpdateAppSettingsInput!) { updateAppSettings(applicationId: $a, input: $i) { clientTrustEnabled } }',
      { a: app.id, i: { clientTrustEnabled: false } },
    )
    await admin.gql(
      'mutation($a: ID!, $i: CreateUserInput!) { createUser(applicationId: $a, input: $i) { id } }',
      { a: app.id, i: { emailAddress: PAT.email, password: PAT.password, emailVerified: true } },
    )
    // Pat signed in with a password moments ago, so adding and reserving numbers need no "Confirm it's you".
    await onDevice(patLaptop, async (page) => {
      await signInHosted(page, PAT)
      await expectAccount(page)
      const phones = page.getByRole('region', { name: 'Phone numbers' })
      const row = (n) => phones.getByRole('listitem').filter({ hasText: n })
      for (const n of [OLDER, NEWER]) {
        await phones.getByRole('button', { name: 'Add a phone number' }).click()
        await phones.getByLabel('New phone number').fill(n)
        await phones.getByRole('button', { name: 'Add phone number' }).click()
        await phones.getByRole('button', { name: /Resend code in/ }).waitFor()
        const sms = await admin.message(app.id, n, 'verification_code')
        assert.equal(sms.channel, 'sms')
        await enterCode(phones, sms.code)
        await phones.getByText(`${n} is verified.`).waitFor()
        await row(n).getByText('Verified', { exact: true }).waitFor()
      }

      for (const n of [OLDER, NEWER]) {
        await row(n).getByRole('button', { name: 'Use for two-step verification' }).click()
        await phones.getByText(`Sign-ins will ask for a code sent to ${n}.`).waitFor()
        const stop = row(n).getByRole('button', { name: 'Stop using for two-step verification' })
        await stop.waitFor()
        // Focus stays on the button pressed, under its new label (not dropped to <body> while it was busy).
        await page.waitForFunction(
          (n) => {
            const el = document.activeElement
            return el?.tagName === 'BUTTON' && el.textContent === 'Stop using for two-step verification' && el.closest('li')?.textContent.includes(n)
          },
          n,
          { timeout: 5_000 },
        )
      }

      // Two numbers reserved: the older one is the default until another is chosen.
      await row(OLDER).getByText('Default', { exact: true }).waitFor()
      assert.equal(await row(NEWER).getByText('Default', { exact: true }).count(), 0)
      assert.equal(await row(OLDER).getByRole('button', { name: 'Make default' }).count(), 0)
      await row(NEWER).getByRole('button', { name: 'Make default' }).click()
      await phones.getByText(`Sign-ins will text the code to ${NEWER} unless you choose another number.`).waitFor()
      await row(NEWER).getByText('Default', { exact: true }).waitFor()
      await row(OLDER).getByRole('button', { name: 'Make default' }).waitFor()
      assert.equal(await row(OLDER).getByText('Default', { exact: true }).count(), 0)
      assert.equal(await row(NEWER).getByRole('button', { name: 'Make default' }).count(), 0)
    })

    await onDevice(patPhone, async (page) => {
      await signInHosted(page, PAT)
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
      // No authenticator app: the step opens on the text message, which it sends at once, to the default number.
      await page.getByText('We sent a 6-digit code to +*********22.').waitFor()
      const sms = await admin.message(app.id, NEWER, 'verification_code')
      assert.equal(sms.channel, 'sms')
      const { outbox } = await admin.gql('query($a: ID!) { outbox(applicationId: $a, first: 50) { id to } }', { a: app.id })
      const toOlder = outbox.filter((m) => m.to === OLDER && !admin.consumed.has(m.id))
      assert.deepEqual(toOlder, [], 'no message to the number that is no longer the default')
      await enterCode(page, sms.code)
      await expectAccount(page)
      await page.getByText(PAT.email).first().waitFor()
    })
  })

  it('offers, after a change to the two-step numbers, to sign out the other devices, and ends only those', STEP, async () => {
    // The phone's session verified both factors moments ago, so freeing a number needs no "Confirm it's you".
    await onDevice(patPhone, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await expectAccount(page)
      const phones = page.getByRole('region', { name: 'Phone numbers' })
      const sessions = page.getByRole('region', { name: 'Active sessions' })
      await sessions.getByRole('button', { name: /Revoke/ }).waitFor()
      await phones.getByRole('listitem').filter({ hasText: OLDER }).getByRole('button', { name: 'Stop using for two-step verification' }).click()
      await phones.getByText(`${OLDER} is no longer used for two-step verification.`).waitFor()
      const offer = phones.getByRole('status').filter({ hasText: 'Your sign-in methods changed. Sign out your other devices?' })
      await offer.getByText('You are signed in on 1 other device.', { exact: false }).waitFor()
      await phones.getByRole('button', { name: 'Sign out other devices' }).click()
      await phones.getByText('Signed out 1 other device.').waitFor()
      // The sessions list read again: this device alone.
      await sessions.getByRole('button', { name: /Revoke/ }).waitFor({ state: 'detached' })
      await sessions.getByText('This device').waitFor()
    })
    // The laptop's session is over: /account sends it to sign in.
    await onDevice(patLaptop, async (page) => {
      await page.goto(`${server.url}/account?publishableKey=${app.publishableKey}`)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    })
  })

  it('loaded nothing from other hosts and raised no page error or CSP violation', () => {
    const problems = devices.flatMap((d) => d.problems.map((p) => `${d.name}: ${p}`))
    assert.deepEqual(problems, [])
  })
})
