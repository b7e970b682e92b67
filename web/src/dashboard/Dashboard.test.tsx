import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  complete,
  deferred,
  EMAIL_FACTOR,
  emptyClient,
  gqlError,
  needsClientTrust,
  signIn as signInJSON,
  tokenReply,
  user,
  type Handler,
  type Reply,
} from '../../test/fakeServer'
import {
  adminUser,
  APP_ID,
  connection,
  DASHBOARD_KEY,
  dashboardServer,
  event,
  selected,
  settings,
  settingsReply,
  UPDATES,
} from '../../test/dashboardServer'
import { renderApp } from '../../test/renderApp'

beforeAll(async () => {
  // The dashboard and its charts are lazily loaded chunks: import them once up front, so no test pays for it.
  await import('./DashboardApp')
  await import('./ChartsPage')
}, 60_000)

beforeEach(() => {
  // Recharts watches its container's size; jsdom has no layout, so the charts keep their initial size.
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  )
})

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

const tabs = () => screen.getByRole('navigation', { name: 'Application sections' })
const tabNames = () => within(tabs()).getAllByRole('link').map((l) => l.textContent)

/** saveWith types value into field and saves the settings form. */
async function saveWith(u: ReturnType<typeof userEvent.setup>, field: HTMLElement, value: string) {
  await u.clear(field)
  await u.type(field, value)
  await u.click(screen.getByRole('button', { name: 'Save settings' }))
}

/** expectFieldError waits for message and checks that it marks field, describes it and took the focus. */
async function expectFieldError(field: HTMLElement, message: string) {
  const error = await screen.findByText(message)
  expect(field).toHaveAttribute('aria-invalid', 'true')
  expect(field.getAttribute('aria-describedby')).toContain(error.id)
  await waitFor(() => expect(field).toHaveFocus())
}

/** RATE_LIMITED has a different value in each rate limit, none of them the default. */
const RATE_LIMITED = settings({ rateLimitSignInsPerIp: 7, rateLimitAttemptsPerIp: 4, rateLimitCodeSendsPerIp: 6, rateLimitIdentifierPerMinute: 12 })

describe('dashboard sign-in', () => {
  it('signs an operator in through the engine on the dashboard application, with the new-device code screen', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      Client: [emptyClient, emptyClient],
      Me: () => ({ data: { me: user({ emailAddresses: [{ id: 'ema_1', emailAddress: 'ops@example.com', verified: true }] }) } }),
      SignInCreate: () => ({ data: { signInCreate: needsClientTrust(EMAIL_FACTOR) } }),
      SignInPrepareSecondFactor: () => ({ data: { signInPrepareSecondFactor: needsClientTrust(EMAIL_FACTOR, 'pending') } }),
      SignInAttemptSecondFactor: () => ({ data: { signInAttemptSecondFactor: complete() } }),
      SessionTokenCreate: () => tokenReply('jwt_operator', 300),
    })
    renderApp('/dashboard', server)

    expect(await screen.findByRole('heading', { name: 'Sign in to the dashboard' })).toBeInTheDocument()
    await u.type(screen.getByLabelText('Email address'), 'ops@example.com')
    await u.type(screen.getByLabelText('Password'), 'secret password')
    await u.click(screen.getByRole('button', { name: 'Continue' }))

    // The hosted new-device screen, reused.
    expect(await screen.findByRole('heading', { name: 'Check your email' })).toBeInTheDocument()
    await waitFor(() => expect(server.ops()).toContain('SignInPrepareSecondFactor'))
    await u.type(screen.getByLabelText('Verification code'), '123456')
    await u.click(screen.getByRole('button', { name: 'Verify' }))

    expect(await screen.findByRole('heading', { name: 'Applications', level: 1 })).toBeInTheDocument()
    expect(await screen.findByRole('link', { name: 'Storefront' })).toBeInTheDocument()
    expect(screen.getByText('Operators sign in here')).toBeInTheDocument()

    // Every request names the dashboard application; admin operations carry the operator's session JWT.
    expect(server.getCalls[0]!.url.pathname).toBe('/dashboard/config.json')
    expect(server.calls.every((c) => c.headers['x-publishable-key'] === DASHBOARD_KEY)).toBe(true)
    const viewer = server.last('DashboardViewer')!
    expect(viewer.headers.authorization).toBe('Bearer jwt_operator')
  })

  it('explains when the signed-in account is not an operator', async () => {
    const server = dashboardServer('admin', {
      DashboardViewer: () => gqlError('authentication_invalid', 'Not an operator'),
    })
    renderApp('/dashboard', server)
    expect(await screen.findByRole('heading', { name: 'No dashboard access' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument()
  })

  it('says so when the dashboard configuration cannot be read', async () => {
    const server = dashboardServer('admin', {}, {
      gets: { '/dashboard/config.json': () => ({ status: 503, body: { error: 'the dashboard application does not exist yet' } }) },
    })
    renderApp('/dashboard', server)
    expect(await screen.findByRole('heading', { name: 'The dashboard is unavailable' })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent('the dashboard application does not exist yet')
  })
})

describe('permission-based hiding', () => {
  it('shows an auditor the settings as text, with no controls, and no roles tab', async () => {
    const server = dashboardServer('auditor')
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    expect(await screen.findByText('Your role can read these settings but not change them.')).toBeInTheDocument()
    expect(tabNames()).toEqual(['Users', 'Sign-in history', 'Charts', 'Settings', 'Audit log'])
    expect(await screen.findByText('Client Trust', { selector: 'dt' })).toBeInTheDocument()
    expect(screen.getByText('1 hour')).toBeInTheDocument()
    const content = document.querySelector('.app__content')!
    expect(content.querySelectorAll('input, select, textarea, button')).toHaveLength(0)
    expect(screen.queryByRole('button', { name: /Opt (in|out)/ })).not.toBeInTheDocument()
    expect(server.ops()).not.toContain('DashboardAccess')
  })

  it('gives an admin the settings form and the opt-in buttons', async () => {
    const server = dashboardServer('admin')
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    expect(await screen.findByRole('checkbox', { name: 'Require a code on new devices' })).toBeChecked()
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Opt out of Client Trust' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' })).toBeInTheDocument()
    expect(tabNames()).toContain('Roles and API keys')
  })

  it('gives support lock and session actions but no ban, settings or audit log', async () => {
    const server = dashboardServer('support')
    renderApp(`/dashboard/apps/${APP_ID}/users/user_9`, server)
    expect(await screen.findByRole('heading', { name: 'sam@example.com' })).toBeInTheDocument()
    expect(tabNames()).toEqual(['Users', 'Sign-in history', 'Charts'])
    expect(screen.getByRole('button', { name: 'Lock' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Reset MFA' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Revoke trusted devices' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Revoke session sess_7' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Ban' })).not.toBeInTheDocument()
  })

  it('shows an auditor a user without any action', async () => {
    const server = dashboardServer('auditor')
    renderApp(`/dashboard/apps/${APP_ID}/users/user_9`, server)
    expect(await screen.findByRole('heading', { name: 'sam@example.com' })).toBeInTheDocument()
    expect(screen.getByText('Trusted')).toBeInTheDocument()
    expect(screen.queryAllByRole('button', { name: /Lock|Ban|Reset MFA|Revoke/ })).toHaveLength(0)
  })

  it("follows the server's permissions when it sends them", async () => {
    const server = dashboardServer('admin', {}, { permissions: ['applications:read', 'users:read'] })
    renderApp(`/dashboard/apps/${APP_ID}`, server)
    expect(await screen.findByRole('heading', { name: 'Users' })).toBeInTheDocument()
    expect(tabNames()).toEqual(['Users'])
    expect(server.last('DashboardViewer')!.variables).toEqual({ applicationId: APP_ID })
  })

  it('refuses a section the role does not include, even by URL', async () => {
    const server = dashboardServer('support')
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    expect(await screen.findByText('Your role does not include this part of the application.')).toBeInTheDocument()
    expect(server.ops()).not.toContain('DashboardSettings')
  })

  it('offers creating applications only to roles that may', async () => {
    const owner = dashboardServer('owner')
    const view = renderApp('/dashboard', owner)
    expect(await screen.findByRole('heading', { name: 'New application' })).toBeInTheDocument()
    view.unmount()
    renderApp('/dashboard', dashboardServer('admin'))
    expect(await screen.findByRole('link', { name: 'Storefront' })).toBeInTheDocument()
    expect(screen.queryByRole('heading', { name: 'New application' })).not.toBeInTheDocument()
  })
})

describe('settings', () => {
  it('sends only what changed and shows server validation errors beside their fields', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardUpdateSettings: [
        () => gqlError('form_param_format_invalid', 'A parameter is invalid.', 'lockoutMaxAttempts'),
        (v) => ({ data: { updateAppSettings: settings({ ...v.input }) } }),
      ],
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const attempts = await screen.findByLabelText('Failed attempts before lockout')
    await saveWith(u, attempts, '1')
    await expectFieldError(attempts, 'A parameter is invalid. (long)')
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { lockoutMaxAttempts: 1 } })

    await u.clear(attempts)
    await u.type(attempts, '25')
    await u.click(screen.getByRole('checkbox', { name: 'Require a code on new devices' }))
    await u.click(screen.getByRole('radio', { name: 'Until an administrator unlocks the user' }))
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables.input).toEqual({
      clientTrustEnabled: false,
      lockoutMaxAttempts: 25,
      lockoutDurationSeconds: null,
    })
    expect(screen.getByLabelText('Failed attempts before lockout')).not.toHaveAttribute('aria-invalid')
  })

  it('turns on one session per device and sends only that', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings()),
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...settings(), ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const box = await screen.findByRole('checkbox', { name: 'One session per device' })
    expect(box).not.toBeChecked()
    expect(box).toHaveAccessibleDescription(/must sign out before it signs in or signs up again/)
    await u.click(box)
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { singleSessionMode: true } })
    expect(box).toBeChecked()
  })

  it('turns off security-change notices and sends only that', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings()),
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...settings(), ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const box = await screen.findByRole('checkbox', { name: 'Notify users of security changes' })
    expect(box).toBeChecked()
    expect(box).toHaveAccessibleDescription(/password is changed or reset/)
    await u.click(box)
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { notifySecurityChanges: false } })
    expect(box).not.toBeChecked()
  })

  it('turns the inactivity timeout on beside the session lifetime, with the server\'s refusal beside its field', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardUpdateSettings: [
        () =>
          gqlError(
            'form_param_format_invalid',
            'sessionInactivityTimeoutSeconds is invalid: must be between 300 seconds and 365 days, or null for off',
            'sessionInactivityTimeoutSeconds',
          ),
        (v, call) => ({ data: { updateAppSettings: selected({ ...settings(), ...v.input }, call.query) } }),
      ],
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const sessions = await screen.findByRole('group', { name: 'Codes and sessions' })
    const box = within(sessions).getByRole('checkbox', { name: 'Sign users out after inactivity' })
    expect(box).not.toBeChecked()
    expect(box).toHaveAccessibleDescription(/The session lifetime still applies/)
    expect(screen.queryByLabelText('Inactivity timeout (seconds)')).not.toBeInTheDocument()

    await u.click(box)
    const timeout = within(sessions).getByLabelText('Inactivity timeout (seconds)')
    expect(timeout).toHaveValue('1800')
    expect(timeout).toHaveAccessibleDescription('= 30 minutes')
    await saveWith(u, timeout, '120')
    await expectFieldError(timeout, 'sessionInactivityTimeoutSeconds is invalid: must be between 300 seconds and 365 days, or null for off (long)')
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { sessionInactivityTimeoutSeconds: 120 } })
    // Unticked, the seconds input goes and the checkbox carries the error until the next save.
    await u.click(box)
    expect(screen.queryByLabelText('Inactivity timeout (seconds)')).not.toBeInTheDocument()
    expect(box).toHaveAttribute('aria-invalid', 'true')
    expect(box).toHaveAccessibleDescription(/must be between 300 seconds and 365 days/)
    await u.click(box)

    await saveWith(u, within(sessions).getByLabelText('Inactivity timeout (seconds)'), '900')
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables.input).toEqual({ sessionInactivityTimeoutSeconds: 900 })
    expect(box).toBeChecked()
    expect(box).not.toHaveAttribute('aria-invalid')
    const saved = within(sessions).getByLabelText('Inactivity timeout (seconds)')
    expect(saved).not.toHaveAttribute('aria-invalid')
    expect(saved).toHaveAccessibleDescription('= 15 minutes')
  })

  it('turns the inactivity timeout off by sending null', async () => {
    const u = userEvent.setup()
    const on = settings({ sessionInactivityTimeoutSeconds: 3600 })
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(on),
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...on, ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const box = await screen.findByRole('checkbox', { name: 'Sign users out after inactivity' })
    expect(box).toBeChecked()
    expect(screen.getByLabelText('Inactivity timeout (seconds)')).toHaveValue('3600')
    await u.click(box)
    expect(screen.queryByLabelText('Inactivity timeout (seconds)')).not.toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { sessionInactivityTimeoutSeconds: null } })
    expect(box).not.toBeChecked()
  })

  it('refuses an inactivity timeout that is not a whole number of seconds beside its field, and sends nothing', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', { DashboardSettings: settingsReply(settings({ sessionInactivityTimeoutSeconds: 3600 })) })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const timeout = await screen.findByLabelText('Inactivity timeout (seconds)')
    await saveWith(u, timeout, 'half an hour')
    await expectFieldError(timeout, 'Enter a whole number of seconds.')
    expect(server.ops()).not.toContain('DashboardUpdateSettings')
  })

  it('shows an auditor the inactivity timeout as Off or as a duration', async () => {
    const value = async (term: string) => (await screen.findByText(term, { selector: 'dt' })).nextElementSibling?.textContent
    const view = renderApp(`/dashboard/apps/${APP_ID}/settings`, dashboardServer('auditor'))
    expect(await value('Inactivity timeout')).toBe('Off')
    view.unmount()
    renderApp(
      `/dashboard/apps/${APP_ID}/settings`,
      dashboardServer('auditor', { DashboardSettings: settingsReply(settings({ sessionInactivityTimeoutSeconds: 1800 })) }),
    )
    expect(await value('Inactivity timeout')).toBe('30 minutes')
  })

  it("shows the server's rate limits and sends only the one changed", async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(RATE_LIMITED),
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...RATE_LIMITED, ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const limits = await screen.findByRole('group', { name: 'Rate limits' })
    expect(within(limits).getByLabelText('Sign-ins per IP address (per 10 seconds)')).toHaveValue('7')
    expect(within(limits).getByLabelText('Attempts per IP address (per 10 seconds)')).toHaveValue('4')
    expect(within(limits).getByLabelText('Codes sent per IP address (per 10 seconds)')).toHaveValue('6')
    const identifier = within(limits).getByLabelText('Sign-ins per identifier (per minute)')
    expect(identifier).toHaveValue('12')
    expect(identifier).toHaveAccessibleDescription(/one email address, phone number or username may start in a minute/)

    await u.clear(identifier)
    await u.type(identifier, '30')
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables).toEqual({ applicationId: APP_ID, input: { rateLimitIdentifierPerMinute: 30 } })

    // The form now holds what the mutation answered, so saving again sends nothing.
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Nothing changed.')).toBeInTheDocument()
    expect(identifier).toHaveValue('30')
    expect(server.ops().filter((op) => op === 'DashboardUpdateSettings')).toHaveLength(1)
  })

  it('refuses a rate limit outside 1 to 100000 or not whole beside its field, and sends nothing', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', { DashboardSettings: settingsReply(RATE_LIMITED) })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const sends = await screen.findByLabelText('Codes sent per IP address (per 10 seconds)')
    for (const raw of ['0', '100001', '2.5']) {
      await saveWith(u, sends, raw)
      await expectFieldError(sends, 'Enter a whole number between 1 and 100000.')
    }
    expect(screen.queryByText('Settings saved.')).not.toBeInTheDocument()
    expect(server.ops()).not.toContain('DashboardUpdateSettings')
  })

  it("shows the server's refusal of a rate limit beside its field", async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(RATE_LIMITED),
      DashboardUpdateSettings: () =>
        gqlError('form_param_format_invalid', 'rateLimitSignInsPerIp is invalid: must be between 1 and 100000', 'rateLimitSignInsPerIp'),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const signIns = await screen.findByLabelText('Sign-ins per IP address (per 10 seconds)')
    // The server has the last word, even on a value the form lets through.
    await saveWith(u, signIns, '50000')
    await expectFieldError(signIns, 'rateLimitSignInsPerIp is invalid: must be between 1 and 100000 (long)')
    expect(server.last('DashboardUpdateSettings')!.variables.input).toEqual({ rateLimitSignInsPerIp: 50000 })
    expect(screen.queryByText('Settings saved.')).not.toBeInTheDocument()
  })

  it('shows an auditor the rate limits as text, with nothing to edit', async () => {
    const server = dashboardServer('auditor', { DashboardSettings: settingsReply(RATE_LIMITED) })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const value = async (term: string) => (await screen.findByText(term, { selector: 'dt' })).nextElementSibling?.textContent
    expect(await value('Sign-ins per IP address')).toBe('7 per 10 seconds')
    expect(await value('Attempts per IP address')).toBe('4 per 10 seconds')
    expect(await value('Codes sent per IP address')).toBe('6 per 10 seconds')
    expect(await value('Sign-ins per identifier')).toBe('12 per minute')
    expect(screen.queryByRole('group', { name: 'Rate limits' })).not.toBeInTheDocument()
    expect(document.querySelector('.app__content')!.querySelectorAll('input, select, textarea, button')).toHaveLength(0)
  })

  // setLockoutUpdate answers setAppUpdate as the server does for the lockout update: the update opted in
  // (enabled: true) or out (false), or back to the default (null), with the settings it gives.
  const setLockoutUpdate: Handler = (v) => ({
    data: {
      setAppUpdate: {
        id: APP_ID,
        settings: settings({ lockoutMaxAttempts: 10 }),
        updates: UPDATES.map((x) => (x.key === v.key ? { ...x, enabled: v.enabled ?? true, explicit: v.enabled !== null } : x)),
      },
    },
  })

  it('opts an application in and out of a dated update, and the form takes the new values', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings({ lockoutMaxAttempts: 100 })),
      DashboardSetAppUpdate: setLockoutUpdate,
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    await u.click(await screen.findByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' }))
    expect(await screen.findByText('Lockout after 10 failed attempts: opted in.')).toBeInTheDocument()
    expect(screen.getByLabelText('Failed attempts before lockout')).toHaveValue('10')
    expect(server.last('DashboardSetAppUpdate')!.variables).toEqual({ applicationId: APP_ID, key: 'lockout_10_attempts', enabled: true })
    await u.click(screen.getAllByRole('button', { name: 'Use the default for this application' })[0]!)
    await waitFor(() => expect(server.last('DashboardSetAppUpdate')!.variables.enabled).toBeNull())
  })
  it('keeps unsaved edits when an update is opted in, taking only the values the update changed', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings({ lockoutMaxAttempts: 100 })),
      DashboardSetAppUpdate: setLockoutUpdate,
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...settings({ lockoutMaxAttempts: 10 }), ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const identifier = await screen.findByLabelText('Sign-ins per identifier (per minute)')
    await u.clear(identifier)
    await u.type(identifier, '30')
    await u.click(screen.getByRole('checkbox', { name: 'One session per device' }))
    await u.click(screen.getByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' }))
    expect(await screen.findByText('Lockout after 10 failed attempts: opted in.')).toBeInTheDocument()
    expect(screen.getByLabelText('Failed attempts before lockout')).toHaveValue('10')
    expect(identifier).toHaveValue('30')
    expect(screen.getByRole('checkbox', { name: 'One session per device' })).toBeChecked()

    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables.input).toEqual({ rateLimitIdentifierPerMinute: 30, singleSessionMode: true })
  })
})

describe('settings and Updates in flight together', () => {
  // optedIn answers setAppUpdate for the lockout update, with the settings it gives (and the others as `s`).
  const optedIn = (v: Record<string, any>, s = settings()): Reply => ({
    data: {
      setAppUpdate: {
        id: APP_ID,
        settings: { ...s, lockoutMaxAttempts: 10 },
        updates: UPDATES.map((x) => (x.key === v.key ? { ...x, enabled: v.enabled ?? true, explicit: v.enabled !== null } : x)),
      },
    },
  })

  it('waits for a save to be answered before opting in, so the save\'s older answer cannot be shown over the Update\'s', async () => {
    const u = userEvent.setup()
    const saved = deferred<Reply>()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings({ lockoutMaxAttempts: 100 })),
      DashboardUpdateSettings: () => saved.promise,
      DashboardSetAppUpdate: (v) => optedIn(v, settings({ rateLimitIdentifierPerMinute: 30 })),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    await saveWith(u, await screen.findByLabelText('Sign-ins per identifier (per minute)'), '30')
    await waitFor(() => expect(server.ops()).toContain('DashboardUpdateSettings'))
    const optIn = screen.getByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' })
    expect(optIn).toBeDisabled()
    await u.click(optIn)
    expect(server.ops()).not.toContain('DashboardSetAppUpdate')

    saved.resolve({ data: { updateAppSettings: settings({ lockoutMaxAttempts: 100, rateLimitIdentifierPerMinute: 30 }) } })
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' }))
    expect(await screen.findByText('Lockout after 10 failed attempts: opted in.')).toBeInTheDocument()
    expect(screen.getByLabelText('Failed attempts before lockout')).toHaveValue('10')
    expect(screen.getByRole('button', { name: 'Opt out of Lockout after 10 failed attempts' })).toBeInTheDocument()
  })

  it('waits for an Update to be answered before saving or opting in or out of another', async () => {
    const u = userEvent.setup()
    const changed = deferred<Reply>()
    const server = dashboardServer('admin', {
      DashboardSettings: settingsReply(settings({ lockoutMaxAttempts: 100 })),
      DashboardSetAppUpdate: (v) => changed.promise.then(() => optedIn(v)),
      DashboardUpdateSettings: (v, call) => ({ data: { updateAppSettings: selected({ ...settings({ lockoutMaxAttempts: 10 }), ...v.input }, call.query) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/settings`, server)
    const identifier = await screen.findByLabelText('Sign-ins per identifier (per minute)')
    await u.clear(identifier)
    await u.type(identifier, '30')
    await u.click(screen.getByRole('button', { name: 'Opt in to Lockout after 10 failed attempts' }))
    await waitFor(() => expect(server.ops()).toContain('DashboardSetAppUpdate'))
    const save = screen.getByRole('button', { name: 'Save settings' })
    expect(save).toBeDisabled()
    await u.click(save)
    await u.type(identifier, '{Enter}')
    expect(screen.getByRole('button', { name: 'Opt out of Client Trust' })).toBeDisabled()
    expect(server.ops()).not.toContain('DashboardUpdateSettings')
    expect(server.ops().filter((o) => o === 'DashboardSetAppUpdate')).toHaveLength(1)

    changed.resolve({})
    expect(await screen.findByText('Lockout after 10 failed attempts: opted in.')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Save settings' }))
    expect(await screen.findByText('Settings saved.')).toBeInTheDocument()
    expect(server.last('DashboardUpdateSettings')!.variables.input).toEqual({ rateLimitIdentifierPerMinute: 30 })
  })
})

describe('users', () => {
  it('searches with the filters', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin')
    renderApp(`/dashboard/apps/${APP_ID}/users`, server)
    expect(await screen.findByRole('link', { name: 'sam@example.com' })).toBeInTheDocument()
    await u.type(screen.getByLabelText('Email, phone or user ID'), 'sam@example.com')
    await u.selectOptions(screen.getByLabelText('Locked'), 'true')
    await u.selectOptions(screen.getByLabelText('MFA'), 'false')
    await u.click(screen.getByRole('button', { name: 'Search' }))
    await waitFor(() =>
      expect(server.last('DashboardUsers')!.variables.where).toEqual({ query: 'sam@example.com', locked: true, twoFactorEnabled: false }),
    )
  })

  it('shows the search the list applies after Back', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin')
    const { router } = renderApp(`/dashboard/apps/${APP_ID}/users`, server)
    expect(await screen.findByRole('link', { name: 'sam@example.com' })).toBeInTheDocument()
    await u.type(screen.getByLabelText('Email, phone or user ID'), 'sam@example.com')
    await u.click(screen.getByRole('button', { name: 'Search' }))
    await waitFor(() => expect(server.last('DashboardUsers')!.variables.where).toEqual({ query: 'sam@example.com' }))
    await act(() => router.navigate(-1))
    await waitFor(() => expect(server.last('DashboardUsers')!.variables.where).toBeNull())
    expect(screen.getByLabelText('Email, phone or user ID')).toHaveValue('')
  })

  it('locks a user after confirmation in an accessible dialog', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardLockUser: () => ({ data: { lockUser: adminUser({ locked: true }) } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/users/user_9`, server)
    const lock = await screen.findByRole('button', { name: 'Lock' })

    // Escape closes without doing anything, and focus goes back to the button.
    await u.click(lock)
    let dialog = screen.getByRole('alertdialog', { name: 'Lock sam@example.com?' })
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus()
    await u.keyboard('{Escape}')
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()
    expect(lock).toHaveFocus()
    expect(server.ops()).not.toContain('DashboardLockUser')

    // Tab stays inside the dialog.
    await u.click(lock)
    dialog = screen.getByRole('alertdialog')
    await u.tab()
    expect(within(dialog).getByRole('button', { name: 'Lock user' })).toHaveFocus()
    await u.tab()
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus()

    await u.click(within(dialog).getByRole('button', { name: 'Lock user' }))
    expect(await screen.findByText('The user was locked.')).toBeInTheDocument()
    expect(server.last('DashboardLockUser')!.variables).toEqual({ id: 'user_9' })
    expect(screen.getByText('Locked')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Unlock' })).toBeInTheDocument()
  })

  it('gives focus to the nearest heading when the action removed the button that opened the dialog', async () => {
    const u = userEvent.setup()
    const revoked = adminUser({ sessions: adminUser().sessions.map((s) => ({ ...s, status: 'revoked' })) })
    const server = dashboardServer('admin', {
      DashboardUser: [() => ({ data: { user: adminUser() } }), () => ({ data: { user: revoked } })],
      DashboardResetUserMfa: () => ({ data: { resetUserMfa: adminUser({ twoFactorEnabled: false, totpEnabled: false, factors: [] }) } }),
      DashboardRevokeSession: () => ({ data: { revokeSession: { id: 'sess_7', status: 'revoked' } } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/users/user_9`, server)

    // Reset MFA: the button goes with the user's MFA.
    await u.click(await screen.findByRole('button', { name: 'Reset MFA' }))
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Reset MFA' }))
    expect(await screen.findByText('MFA was reset.')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Reset MFA' })).not.toBeInTheDocument()
    await waitFor(() => expect(screen.getByRole('heading', { name: 'sam@example.com' })).toHaveFocus())

    // Revoke a session: the row's button goes with the active session, also once the user is read again.
    await u.click(screen.getByRole('button', { name: 'Revoke session sess_7' }))
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Revoke session' }))
    expect(await screen.findByText('The session was revoked.')).toBeInTheDocument()
    await waitFor(() => expect(server.ops().filter((op) => op === 'DashboardUser')).toHaveLength(2))
    expect(screen.queryByRole('button', { name: 'Revoke session sess_7' })).not.toBeInTheDocument()
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Sessions' })).toHaveFocus())
  })

  it("keeps the dialog open with the error when the server refuses, and shows it only in that dialog, not in the next one opened", async () => {
    const u = userEvent.setup()
    const server = dashboardServer('admin', {
      DashboardBanUser: () => gqlError('permission_denied', 'Permission denied.'),
    })
    renderApp(`/dashboard/apps/${APP_ID}/users/user_9`, server)
    await u.click(await screen.findByRole('button', { name: 'Ban' }))
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Ban user' }))
    expect(await within(screen.getByRole('alertdialog')).findByText('Permission denied. (long)')).toBeInTheDocument()
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Cancel' }))

    await u.click(screen.getByRole('button', { name: 'Lock' }))
    const lock = screen.getByRole('alertdialog', { name: 'Lock sam@example.com?' })
    expect(within(lock).queryByRole('alert')).not.toBeInTheDocument()
    await u.click(within(lock).getByRole('button', { name: 'Cancel' }))

    // Nor again when the same dialog is opened anew.
    await u.click(screen.getByRole('button', { name: 'Ban' }))
    expect(within(screen.getByRole('alertdialog')).queryByRole('alert')).not.toBeInTheDocument()
  })
})

describe('sign-in history', () => {
  it('applies the filters, loads more by cursor, and links the CSV export with the same filters', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('auditor', {
      DashboardSignInEvents: (v) =>
        v.after
          ? { data: { signInEvents: connection([event({ id: 'sie_2', kind: 'password.failed', outcome: 'failure' })], false, null, 2) } }
          : { data: { signInEvents: connection([event()], true, 'cursor_1', 2) } },
    })
    renderApp(`/dashboard/apps/${APP_ID}/events`, server)
    expect(await screen.findByRole('cell', { name: 'sign_in.completed' })).toBeInTheDocument()
    expect(screen.getByText('Showing 1 of 2')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Load more' }))
    expect(await screen.findByRole('cell', { name: 'password.failed' })).toBeInTheDocument()
    expect(server.last('DashboardSignInEvents')!.variables.after).toBe('cursor_1')
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument()

    await u.selectOptions(screen.getByLabelText('Outcome'), 'failure')
    await u.type(screen.getByLabelText('IP address'), '203.0.113.7')
    await u.click(screen.getByRole('button', { name: 'Apply filters' }))
    await waitFor(() =>
      expect(server.last('DashboardSignInEvents')!.variables).toEqual({
        applicationId: APP_ID,
        first: 50,
        where: { outcome: 'failure', ipAddress: '203.0.113.7' },
      }),
    )
    const csv = screen.getByRole('link', { name: 'Export CSV' })
    expect(csv.getAttribute('href')).toBe(`/admin/sign-in-events.csv?applicationId=${APP_ID}&outcome=failure&ipAddress=203.0.113.7`)
  })

  it('shows the filters the list applies when the address changes (tab link, Back)', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('auditor')
    const { router } = renderApp(`/dashboard/apps/${APP_ID}/events?userId=user_9`, server)
    expect(await screen.findByLabelText('User ID')).toHaveValue('user_9')
    await waitFor(() => expect(server.last('DashboardSignInEvents')!.variables.where).toEqual({ userId: 'user_9' }))

    // The tab link drops the filter: the list shows every event, so the form must not still show one.
    await u.click(within(tabs()).getByRole('link', { name: 'Sign-in history' }))
    await waitFor(() => expect(server.last('DashboardSignInEvents')!.variables.where).toBeNull())
    expect(screen.getByLabelText('User ID')).toHaveValue('')

    await u.selectOptions(screen.getByLabelText('Outcome'), 'failure')
    await u.click(screen.getByRole('button', { name: 'Apply filters' }))
    await waitFor(() => expect(server.last('DashboardSignInEvents')!.variables.where).toEqual({ outcome: 'failure' }))
    await act(() => router.navigate(-1))
    await waitFor(() => expect(server.last('DashboardSignInEvents')!.variables.where).toBeNull())
    expect(screen.getByLabelText('Outcome')).toHaveValue('')
  })

  it('downloads the CSV with the session token', async () => {
    const u = userEvent.setup()
    const createObjectURL = vi.fn(() => 'blob:csv')
    URL.createObjectURL = createObjectURL
    URL.revokeObjectURL = () => {}
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    const server = dashboardServer('auditor', {}, {
      gets: { '/admin/sign-in-events.csv': () => ({ body: null, text: 'id,at\n' }) },
    })
    renderApp(`/dashboard/apps/${APP_ID}/events`, server)
    await u.click(await screen.findByRole('link', { name: 'Export CSV' }))
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled())
    const get = server.getCalls.find((c) => c.url.pathname === '/admin/sign-in-events.csv')!
    expect(get.headers.authorization).toBe('Bearer jwt_operator')
    expect(get.headers['x-publishable-key']).toBe(DASHBOARD_KEY)
    expect(click).toHaveBeenCalled()
  })

  it('says so when the export breaks off mid-way, and lets the operator try again', async () => {
    const u = userEvent.setup()
    URL.createObjectURL = vi.fn(() => 'blob:csv')
    URL.revokeObjectURL = () => {}
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    // The server has sent its 200 and then breaks the connection (export.go): reading the body fails.
    vi.spyOn(Response.prototype, 'blob').mockRejectedValue(new TypeError('network error'))
    const server = dashboardServer('auditor', {}, {
      gets: { '/admin/sign-in-events.csv': () => ({ body: null, text: 'id,at\n' }) },
    })
    renderApp(`/dashboard/apps/${APP_ID}/events`, server)
    const link = await screen.findByRole('link', { name: 'Export CSV' })
    await u.click(link)
    expect(await screen.findByText(/The download was interrupted/)).toBeInTheDocument()
    expect(link).not.toHaveAttribute('aria-busy')
    expect(URL.createObjectURL).not.toHaveBeenCalled()
    await u.click(link)
    await waitFor(() => expect(server.getCalls.filter((c) => c.url.pathname === '/admin/sign-in-events.csv')).toHaveLength(2))
  })

  it('explains a missing export instead of failing silently', async () => {
    const u = userEvent.setup()
    const server = dashboardServer('auditor')
    renderApp(`/dashboard/apps/${APP_ID}/events`, server)
    await u.click(await screen.findByRole('link', { name: 'Export CSV' }))
    expect(await screen.findByText(/does not offer this export yet/)).toBeInTheDocument()
  })
})

describe('charts', () => {
  it('reads the events of the range and shows the numbers', { timeout: 30_000 }, async () => {
    const u = userEvent.setup()
    const now = Date.now()
    const at = new Date(now - 30 * 60_000).toISOString()
    const server = dashboardServer('auditor', {
      DashboardSignInEvents: () => ({
        data: {
          signInEvents: connection([
            event({ id: '1', signInId: 'a', at, kind: 'client_trust.required', outcome: 'challenge' }),
            event({ id: '2', signInId: 'a', at, kind: 'sign_in.completed', outcome: 'success' }),
            event({ id: '3', signInId: 'b', at, kind: 'password.failed', outcome: 'failure' }),
          ]),
        },
      }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/charts`, server)
    // The charts chunk (with the chart library) loads lazily.
    expect(await screen.findByRole('heading', { name: 'Sign-ins per hour by outcome' }, { timeout: 15_000 })).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Client Trust challenges and completions' })).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Failure rate' })).toBeInTheDocument()
    const summary = document.querySelector('.chart-summary')!
    expect(summary).toHaveTextContent('1 completed, 1 failed, 0 waiting for a code; 1 Client Trust challenges, 1 completed after one; failure rate 50%')
    const vars = server.last('DashboardSignInEvents')!.variables
    expect(vars.first).toBe(500)
    expect(Date.parse(vars.where.to) - Date.parse(vars.where.from)).toBe(24 * 3_600_000)

    await u.selectOptions(screen.getByLabelText('Time range'), '168')
    await waitFor(() => {
      const w = server.last('DashboardSignInEvents')!.variables.where
      expect(Date.parse(w.to) - Date.parse(w.from)).toBe(168 * 3_600_000)
    })
  })
})

describe('roles and API keys', () => {
  it('creates a key and shows its secret once', async () => {
    const u = userEvent.setup()
    const key = { id: 'ak_2', name: 'CI', prefix: 'sk_abcdefgh', role: 'support', applicationId: APP_ID, createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, revokedAt: null, revocable: true }
    const server = dashboardServer('owner', {
      DashboardAccess: [
        () => ({ data: { roleAssignments: [{ id: 'ra_1', subject: 'ops@example.com', role: 'owner', applicationId: '*', createdAt: '2026-01-01T00:00:00Z' }], apiKeys: [] } }),
        () => ({ data: { roleAssignments: [], apiKeys: [key] } }),
      ],
      DashboardCreateAPIKey: () => ({ data: { createAPIKey: { key: 'sk_abcdefgh_secret', apiKey: key } } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)
    expect(await screen.findByRole('rowheader', { name: 'ops@example.com' })).toBeInTheDocument()
    await u.type(screen.getByLabelText(/^Name/), 'CI')
    const form = screen.getByRole('form', { name: 'Create an API key' })
    await u.selectOptions(within(form).getByLabelText('Role'), 'support')
    await u.click(screen.getByRole('button', { name: 'Create key' }))

    expect(await screen.findByText('sk_abcdefgh_secret')).toBeInTheDocument()
    expect(server.last('DashboardCreateAPIKey')!.variables).toEqual({ input: { name: 'CI', role: 'support', applicationId: APP_ID } })
    // The list reloads; the secret stays until dismissed.
    expect(await screen.findByRole('rowheader', { name: /CI/ })).toBeInTheDocument()
    expect(screen.getByText('sk_abcdefgh_secret')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'I have stored it' }))
    expect(screen.queryByText('sk_abcdefgh_secret')).not.toBeInTheDocument()
  })

  it('does not say a second new key was copied when only the first one was', async () => {
    const u = userEvent.setup()
    const first = { id: 'ak_2', name: 'CI', prefix: 'sk_abcdefgh', role: 'support', applicationId: APP_ID, createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, revokedAt: null, revocable: true }
    const second = { ...first, id: 'ak_3', name: 'Deploy', prefix: 'sk_ijklmnop' }
    const server = dashboardServer('owner', {
      DashboardAccess: [
        () => ({ data: { roleAssignments: [], apiKeys: [] } }),
        () => ({ data: { roleAssignments: [], apiKeys: [first] } }),
        () => ({ data: { roleAssignments: [], apiKeys: [first, second] } }),
      ],
      DashboardCreateAPIKey: [
        () => ({ data: { createAPIKey: { key: 'sk_abcdefgh_secret', apiKey: first } } }),
        () => ({ data: { createAPIKey: { key: 'sk_ijklmnop_secret', apiKey: second } } }),
      ],
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)
    await u.click(await screen.findByRole('button', { name: 'Create key' }))
    expect(await screen.findByText('sk_abcdefgh_secret')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'Copy key' }))
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeInTheDocument()

    // A second key before the first was dismissed: its secret has not been copied.
    await u.click(screen.getByRole('button', { name: 'Create key' }))
    expect(await screen.findByText('sk_ijklmnop_secret')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Copy key' })).toBeInTheDocument()
    expect(screen.queryByText('The key was copied to the clipboard.')).not.toBeInTheDocument()
  })

  it('keeps showing a new secret when reading the list again fails', async () => {
    const u = userEvent.setup()
    const key = { id: 'ak_2', name: 'CI', prefix: 'sk_abcdefgh', role: 'support', applicationId: APP_ID, createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, revokedAt: null, revocable: true }
    const server = dashboardServer('owner', {
      DashboardAccess: [() => ({ data: { roleAssignments: [], apiKeys: [] } }), () => gqlError('internal_error', 'Something went wrong.')],
      DashboardCreateAPIKey: () => ({ data: { createAPIKey: { key: 'sk_abcdefgh_secret', apiKey: key } } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)
    await u.click(await screen.findByRole('button', { name: 'Create key' }))
    await waitFor(() => expect(server.ops().filter((op) => op === 'DashboardAccess')).toHaveLength(2))
    expect(await screen.findByText('Something went wrong. (long)')).toBeInTheDocument()
    // The key exists and its secret can never be read again: it must stay until dismissed.
    expect(screen.getByText('sk_abcdefgh_secret')).toBeInTheDocument()
    await u.click(screen.getByRole('button', { name: 'I have stored it' }))
    expect(screen.queryByText('sk_abcdefgh_secret')).not.toBeInTheDocument()
  })

  it('offers Revoke only on the keys the server says this owner may revoke', async () => {
    const base = { prefix: 'sk_abcdefgh', role: 'support', applicationId: APP_ID, createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, revokedAt: null }
    const server = dashboardServer('owner', {
      DashboardAccess: () => ({
        data: {
          roleAssignments: [],
          apiKeys: [
            { ...base, id: 'ak_local', name: 'Local', revocable: true },
            { ...base, id: 'ak_global', name: 'Global', revocable: false },
            { ...base, id: 'ak_gone', name: 'Gone', revokedAt: '2026-11-02T00:00:00Z', revocable: false },
          ],
        },
      }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)
    expect(await screen.findByRole('button', { name: 'Revoke key Local' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Revoke key Global' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Revoke key Gone' })).not.toBeInTheDocument()
  })

  it('revokes a role and a key at once, giving focus to the section heading, not to a button about to vanish', async () => {
    const u = userEvent.setup()
    const role = { id: 'ra_2', subject: 'sam@example.com', role: 'support', applicationId: APP_ID, createdAt: '2026-01-01T00:00:00Z' }
    const key = { id: 'ak_1', name: 'CI', prefix: 'sk_abcdefgh', role: 'support', applicationId: APP_ID, createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, revokedAt: null, revocable: true }
    const revokedKey = { ...key, revokedAt: '2026-11-24T00:00:00Z', revocable: false }
    // The list is read again after each revocation, slowly: the dialog has closed by then.
    let release: () => void = () => {}
    const slow = (data: Record<string, unknown>) => () => new Promise<Reply>((resolve) => (release = () => resolve({ data })))
    const server = dashboardServer('owner', {
      DashboardAccess: [
        () => ({ data: { roleAssignments: [role], apiKeys: [key] } }),
        slow({ roleAssignments: [], apiKeys: [key] }),
        slow({ roleAssignments: [], apiKeys: [revokedKey] }),
      ],
      DashboardRevokeRole: () => ({ data: { revokeRole: true } }),
      DashboardRevokeAPIKey: () => ({ data: { revokeAPIKey: revokedKey } }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)

    await u.click(await screen.findByRole('button', { name: 'Revoke support from sam@example.com' }))
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Revoke role' }))
    expect(await screen.findByText('Revoked support from sam@example.com.')).toBeInTheDocument()
    expect(screen.queryByRole('rowheader', { name: 'sam@example.com' })).not.toBeInTheDocument()
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Role assignments' })).toHaveFocus())
    release()

    await u.click(await screen.findByRole('button', { name: 'Revoke key CI' }))
    await u.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Revoke key' }))
    expect(await screen.findByText('Revoked CI.')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Revoke key CI' })).not.toBeInTheDocument()
    await waitFor(() => expect(screen.getByRole('heading', { name: 'API keys' })).toHaveFocus())
    release()
    await waitFor(() => expect(server.ops().filter((op) => op === 'DashboardAccess')).toHaveLength(3))
    expect(screen.queryByRole('button', { name: 'Revoke key CI' })).not.toBeInTheDocument()
  })

  it('shows an admin roles and keys without grant, create or revoke controls', async () => {
    const server = dashboardServer('admin', {
      DashboardAccess: () => ({
        data: {
          roleAssignments: [{ id: 'ra_1', subject: 'ops@example.com', role: 'admin', applicationId: '*', createdAt: '2026-01-01T00:00:00Z' }],
          apiKeys: [],
        },
      }),
    })
    renderApp(`/dashboard/apps/${APP_ID}/access`, server)
    expect(await screen.findByRole('rowheader', { name: 'ops@example.com' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: /Grant role|Create key|Revoke/ })).not.toBeInTheDocument()
    // The admin's role is in *, so this application's grants and those in * are read in one query.
    expect(server.last('DashboardAccess')!.variables).toEqual({ applicationId: null, withRoles: true, withKeys: true })
  })
})

describe('SDK: a completed sign-in is not resumed', () => {
  it('shows the sign-in form after sign-out instead of finishing the old sign-in', async () => {
    const server = dashboardServer('admin', {
      Client: () => ({ data: { client: { id: 'client_1', signIn: signInJSON({ status: 'complete', createdSessionId: 'sess_old' }), sessions: [], lastActiveSessionId: null } } }),
    })
    renderApp('/dashboard', server)
    expect(await screen.findByRole('heading', { name: 'Sign in to the dashboard' })).toBeInTheDocument()
    expect(server.ops()).not.toContain('SessionTokenCreate')
  })
})
