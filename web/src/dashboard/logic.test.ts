import { describe, expect, it } from 'vitest'
import { classify, hourlySeries, HOUR_MS, totals } from './charts'
import { csvExportUrl, toWhere } from './EventsPage'
import type { SignInEvent } from './operations'
import { effectivePermissions, hasPermission, permissionsFromRoles } from './permissions'
import { diffSettings, humanSeconds, rebaseDraft, toDraft } from './settingsForm'
import { describeUserAgent } from './ui'
import { changes } from './AuditPage'
import { settings } from '../../test/dashboardServer'

describe('permissions', () => {
  it('derives what roles allow in one application, counting grants in *', () => {
    const grants = [
      { role: 'auditor', applicationId: '*' },
      { role: 'support', applicationId: 'app_2' },
    ]
    expect(permissionsFromRoles(grants, 'app_1')).toContain('settings:read')
    expect(permissionsFromRoles(grants, 'app_1')).not.toContain('users:lock')
    expect(permissionsFromRoles(grants, 'app_2')).toContain('users:lock')
    expect(permissionsFromRoles([{ role: 'support', applicationId: 'app_2' }], 'app_1')).toEqual([])
  })

  it('honours wildcards', () => {
    expect(hasPermission(['*:*'], 'keys:create')).toBe(true)
    expect(hasPermission(['users:*'], 'users:ban')).toBe(true)
    expect(hasPermission(['users:*'], 'settings:update')).toBe(false)
    expect(hasPermission(['users:read'], 'users:lock')).toBe(false)
  })

  it("prefers the server's answer and falls back to the role table when it is empty", () => {
    const grants = [{ role: 'admin', applicationId: '*' }]
    expect(effectivePermissions(['users:read'], grants, 'app_1')).toEqual(['users:read'])
    expect(effectivePermissions([], grants, 'app_1')).toContain('settings:update')
    expect(effectivePermissions(null, [], 'app_1')).toEqual([])
  })
})

describe('settings form', () => {
  it('sends only the fields that changed', () => {
    const saved = settings()
    const draft = { ...toDraft(saved), clientTrustEnabled: false, lockoutMaxAttempts: '20', allowedOrigins: 'https://a.example\n\nhttps://b.example' }
    expect(diffSettings(draft, saved)).toEqual({
      input: { clientTrustEnabled: false, lockoutMaxAttempts: 20, allowedOrigins: ['https://a.example', 'https://b.example'] },
      errors: [],
    })
    expect(diffSettings(toDraft(saved), saved).input).toEqual({})
  })

  it('rebases a factor list the operator left as it was (unticked, ticked again) onto an Update\'s change', () => {
    const from = settings()
    // Password unticked and ticked again: the same factors, in another order.
    const draft = { ...toDraft(from), firstFactors: ['email_code', 'phone_code', 'password'], lockoutMaxAttempts: '20' }
    const to = settings({ firstFactors: ['password', 'email_code'] })
    const rebased = rebaseDraft(draft, from, to)
    expect(rebased.firstFactors).toEqual(['password', 'email_code'])
    expect(rebased.lockoutMaxAttempts).toBe('20')
    // Saving the operator's own edit must not undo the Update's.
    expect(diffSettings(rebased, to).input).toEqual({ lockoutMaxAttempts: 20 })
    // Likewise the origins with only a blank line added.
    const withOrigins = settings({ allowedOrigins: ['https://a.example'] })
    const toOrigins = settings({ allowedOrigins: ['https://a.example', 'https://b.example'] })
    const blank = rebaseDraft({ ...toDraft(withOrigins), allowedOrigins: 'https://a.example\n' }, withOrigins, toOrigins)
    expect(diffSettings(blank, toOrigins).input).toEqual({})
    // A real edit of the list is kept.
    expect(rebaseDraft({ ...toDraft(from), firstFactors: ['password'] }, from, to).firstFactors).toEqual(['password'])
  })

  it('sends null for "until an administrator unlocks", and back again', () => {
    const saved = settings()
    expect(diffSettings({ ...toDraft(saved), lockoutUntilUnlocked: true }, saved).input).toEqual({ lockoutDurationSeconds: null })
    const locked = settings({ lockoutDurationSeconds: null })
    expect(toDraft(locked).lockoutUntilUnlocked).toBe(true)
    expect(diffSettings({ ...toDraft(locked), lockoutUntilUnlocked: false, lockoutDurationSeconds: '900' }, locked).input).toEqual({
      lockoutDurationSeconds: 900,
    })
  })

  it('sends null to turn the inactivity timeout off, the seconds to turn it on or change it, and nothing when unchanged', () => {
    const off = settings()
    expect(toDraft(off).inactivityTimeoutEnabled).toBe(false)
    expect(diffSettings(toDraft(off), off).input).toEqual({})
    // Turned on, it offers 30 minutes.
    expect(diffSettings({ ...toDraft(off), inactivityTimeoutEnabled: true }, off).input).toEqual({ sessionInactivityTimeoutSeconds: 1800 })
    const on = settings({ sessionInactivityTimeoutSeconds: 3600 })
    expect(toDraft(on)).toMatchObject({ inactivityTimeoutEnabled: true, sessionInactivityTimeoutSeconds: '3600' })
    expect(diffSettings(toDraft(on), on)).toEqual({ input: {}, errors: [] })
    expect(diffSettings({ ...toDraft(on), sessionInactivityTimeoutSeconds: '900' }, on).input).toEqual({ sessionInactivityTimeoutSeconds: 900 })
    expect(diffSettings({ ...toDraft(on), inactivityTimeoutEnabled: false }, on).input).toEqual({ sessionInactivityTimeoutSeconds: null })
  })

  it('refuses an inactivity timeout that is not a whole number of seconds, but not while it is off', () => {
    const saved = settings({ sessionInactivityTimeoutSeconds: 3600 })
    for (const raw of ['30 min', '2.5', '']) {
      const { input, errors } = diffSettings({ ...toDraft(saved), sessionInactivityTimeoutSeconds: raw }, saved)
      expect(errors.map((e) => [e.meta.paramName, e.longMessage]), `for ${JSON.stringify(raw)}`).toEqual([
        ['sessionInactivityTimeoutSeconds', 'Enter a whole number of seconds.'],
      ])
      expect(input).toEqual({})
    }
    // Off, the hidden seconds input is not read.
    expect(diffSettings({ ...toDraft(saved), inactivityTimeoutEnabled: false, sessionInactivityTimeoutSeconds: 'x' }, saved)).toEqual({
      input: { sessionInactivityTimeoutSeconds: null },
      errors: [],
    })
  })

  it('refuses numbers that are not whole, naming the field', () => {
    const saved = settings()
    const { errors } = diffSettings({ ...toDraft(saved), codeTtlSeconds: '10 min' }, saved)
    expect(errors.map((e) => e.meta.paramName)).toEqual(['codeTtlSeconds'])
  })

  it('sends a changed rate limit alone', () => {
    const saved = settings()
    expect(diffSettings({ ...toDraft(saved), rateLimitCodeSendsPerIp: ' 8 ' }, saved)).toEqual({ input: { rateLimitCodeSendsPerIp: 8 }, errors: [] })
  })

  it('takes rate limits from 1 to 100000, as the server does, and refuses the rest', () => {
    const saved = settings()
    for (const raw of ['1', '100000']) {
      expect(diffSettings({ ...toDraft(saved), rateLimitAttemptsPerIp: raw }, saved)).toEqual({
        input: { rateLimitAttemptsPerIp: Number(raw) },
        errors: [],
      })
    }
    for (const raw of ['0', '-3', '100001', '2.5', '1e3', 'ten', '']) {
      const { input, errors } = diffSettings({ ...toDraft(saved), rateLimitAttemptsPerIp: raw }, saved)
      expect(errors.map((e) => [e.meta.paramName, e.longMessage]), `for ${JSON.stringify(raw)}`).toEqual([
        ['rateLimitAttemptsPerIp', 'Enter a whole number between 1 and 100000.'],
      ])
      expect(input).toEqual({})
    }
  })

  it('compares factor lists as sets', () => {
    const saved = settings()
    expect(diffSettings({ ...toDraft(saved), secondFactors: ['backup_code', 'phone_code', 'totp'] }, saved).input).toEqual({})
    expect(diffSettings({ ...toDraft(saved), secondFactors: ['totp'] }, saved).input).toEqual({ secondFactors: ['totp'] })
  })

  it('reads durations', () => {
    expect(humanSeconds(3600)).toBe('1 hour')
    expect(humanSeconds(600)).toBe('10 minutes')
    expect(humanSeconds(604800)).toBe('7 days')
    expect(humanSeconds(90)).toBe('90 seconds')
  })
})

function ev(id: string, signInId: string | null, at: number, kind: string, outcome: SignInEvent['outcome']): SignInEvent {
  return {
    id,
    at: new Date(at).toISOString(),
    signInId,
    userId: null,
    identifier: 'j***@example.com',
    clientId: null,
    ipAddress: '127.0.0.1',
    userAgent: '',
    kind,
    strategy: null,
    outcome,
    reason: null,
  }
}

describe('charts', () => {
  const t0 = Date.UTC(2026, 10, 1, 10, 0, 0)
  const events = [
    // Completed after a Client Trust challenge, spanning two hours.
    ev('1', 'a', t0 + 5 * 60_000, 'sign_in.created', 'info'),
    ev('2', 'a', t0 + 5 * 60_000, 'client_trust.required', 'challenge'),
    ev('3', 'a', t0 + 65 * 60_000, 'sign_in.completed', 'success'),
    // Failed: wrong password.
    ev('4', 'b', t0 + 10 * 60_000, 'password.failed', 'failure'),
    // Waiting for a code.
    ev('5', 'c', t0 + 70 * 60_000, 'client_trust.required', 'challenge'),
    // Completed without a challenge.
    ev('6', 'd', t0 + 80 * 60_000, 'sign_in.completed', 'success'),
    // No sign-in id: counted alone.
    ev('7', null, t0 + 90 * 60_000, 'rate_limited', 'failure'),
  ]

  it('classifies attempts', () => {
    expect(classify(events.filter((e) => e.signInId === 'a'))).toBe('completed')
    expect(classify(events.filter((e) => e.signInId === 'b'))).toBe('failed')
    expect(classify(events.filter((e) => e.signInId === 'c'))).toBe('challenged')
    expect(classify([ev('x', 'x', t0, 'sign_in.created', 'info')])).toBe('started')
  })

  it('buckets attempts by the hour they began, with challenges, completions and the failure rate', () => {
    const s = hourlySeries(events, t0, t0 + 2 * HOUR_MS)
    expect(s).toHaveLength(2)
    expect(s[0]).toMatchObject({ hour: t0, completed: 1, failed: 1, challenged: 0, challenges: 1, completions: 0, failureRate: 50 })
    expect(s[1]).toMatchObject({ completed: 1, failed: 1, challenged: 1, challenges: 1, completions: 1, failureRate: 50 })
    expect(totals(s)).toMatchObject({ completed: 2, failed: 2, challenges: 2, completions: 1, failureRate: 50 })
  })

  it('leaves the failure rate empty in an hour without finished attempts', () => {
    const s = hourlySeries([ev('5', 'c', t0, 'client_trust.required', 'challenge')], t0, t0 + HOUR_MS)
    expect(s[0]!.failureRate).toBeNull()
  })
})

describe('sign-in history', () => {
  it('turns the filter form into SignInEventWhereInput and the CSV link', () => {
    const where = toWhere({
      userId: ' user_1 ',
      identifier: '',
      clientId: '',
      kind: 'code.failed',
      outcome: 'failure',
      ipAddress: '',
      from: '2026-11-01T10:00',
      to: '',
    })
    expect(where).toEqual({ userId: 'user_1', kind: 'code.failed', outcome: 'failure', from: new Date('2026-11-01T10:00').toISOString() })
    const url = new URL(csvExportUrl('app_1', where), 'http://x')
    expect(url.pathname).toBe('/admin/sign-in-events.csv')
    expect(Object.fromEntries(url.searchParams)).toEqual({ applicationId: 'app_1', ...where })
  })
})

describe('formatting', () => {
  it('names devices as the server does', () => {
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36')).toBe('Chrome on Linux')
    expect(describeUserAgent('curl/8.5.0')).toBe('curl')
    expect(describeUserAgent('')).toBe('Unknown device')
  })

  it('pairs the before and after of audit events', () => {
    expect(changes('{"clientTrustEnabled":true}', '{"clientTrustEnabled":false}')).toEqual([
      { field: 'clientTrustEnabled', before: true, after: false },
    ])
    expect(changes(null, '{"role":"admin"}')).toEqual([{ field: 'role', before: undefined, after: 'admin' }])
  })
})
