/**
 * The chart series of the dashboard, computed in the browser from pages of `signInEvents` (one row per step of a
 * sign-in). A sign-in attempt is the set of events sharing a `signInId`; events without one count alone.
 */
import type { SignInEvent } from './operations'

export const HOUR_MS = 3_600_000

/** AttemptOutcome is how a sign-in attempt ended (so far). */
export type AttemptOutcome = 'completed' | 'failed' | 'challenged' | 'started'

export interface HourBucket {
  /** hour is the start of the hour, in ms since the epoch. */
  hour: number
  completed: number
  failed: number
  challenged: number
  started: number
  /** challenges counts client_trust.required events (a new device was asked for a code). */
  challenges: number
  /** completions counts sign-ins completed after a Client Trust challenge. */
  completions: number
  /** failureRate is failed ÷ (completed + failed) attempts, 0–100, or null with no finished attempt. */
  failureRate: number | null
}

/** floorHour is the start of the hour of `t` (in UTC-aligned hours, which match local hours in whole-hour zones). */
export function floorHour(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS
}

/** classify decides the outcome of one attempt from its events. */
export function classify(events: readonly SignInEvent[]): AttemptOutcome {
  if (events.some((e) => e.kind === 'sign_in.completed' || e.kind === 'sign_up.completed')) return 'completed'
  if (events.some((e) => e.outcome === 'failure')) return 'failed'
  if (events.some((e) => e.outcome === 'challenge')) return 'challenged'
  return 'started'
}

/**
 * hourlySeries buckets the events of [from, to) by hour: attempts by outcome (in the hour the attempt began),
 * Client Trust challenges and the completions that followed one, and the failure rate.
 */
export function hourlySeries(events: readonly SignInEvent[], from: number, to: number): HourBucket[] {
  const start = floorHour(from)
  const buckets: HourBucket[] = []
  for (let h = start; h < to; h += HOUR_MS) {
    buckets.push({ hour: h, completed: 0, failed: 0, challenged: 0, started: 0, challenges: 0, completions: 0, failureRate: null })
  }
  const at = (t: number) => {
    if (t < start || t >= to) return undefined
    return buckets[Math.floor((t - start) / HOUR_MS)]
  }

  const attempts = new Map<string, SignInEvent[]>()
  for (const e of events) {
    const key = e.signInId ?? `event:${e.id}`
    const list = attempts.get(key)
    if (list) list.push(e)
    else attempts.set(key, [e])
  }

  for (const list of attempts.values()) {
    const times = list.map((e) => Date.parse(e.at))
    const began = Math.min(...times)
    const b = at(began)
    if (b) b[classify(list)]++
    const challenged = list.some((e) => e.kind === 'client_trust.required')
    for (const e of list) {
      const t = Date.parse(e.at)
      if (e.kind === 'client_trust.required') {
        const cb = at(t)
        if (cb) cb.challenges++
      } else if (challenged && e.kind === 'sign_in.completed') {
        const cb = at(t)
        if (cb) cb.completions++
      }
    }
  }

  for (const b of buckets) {
    const finished = b.completed + b.failed
    b.failureRate = finished > 0 ? Math.round((b.failed / finished) * 1000) / 10 : null
  }
  return buckets
}

/** totals sums a series, for the summary line under the charts. */
export function totals(series: readonly HourBucket[]) {
  const t = { completed: 0, failed: 0, challenged: 0, started: 0, challenges: 0, completions: 0 }
  for (const b of series) {
    t.completed += b.completed
    t.failed += b.failed
    t.challenged += b.challenged
    t.started += b.started
    t.challenges += b.challenges
    t.completions += b.completions
  }
  const finished = t.completed + t.failed
  return { ...t, failureRate: finished > 0 ? Math.round((t.failed / finished) * 1000) / 10 : null }
}

/** hourLabel shows the start of an hour as "14:00" (with the day when the range spans days). */
export function hourLabel(hour: number, withDay: boolean): string {
  const d = new Date(hour)
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  return withDay ? `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}` : time
}
