import { useCallback, useEffect, useRef, useState } from 'react'
import type { TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { useCountdown } from '../ui/useCountdown'
import { movedOn } from './movedOn'

/** RESEND_COOLDOWN_SECONDS is how long the resend button waits after a code was sent (the server's cooldown). */
export const RESEND_COOLDOWN_SECONDS = 30

type Send = () => Promise<{ error: TrustgateAPIResponseErrorLike | null }>
type Reload = (error: TrustgateAPIResponseErrorLike) => Promise<{ error: TrustgateAPIResponseErrorLike | null }>

/**
 * useCodeSender sends a verification code (once on mount when `autoSend`), and runs the resend cooldown: 30 s
 * after each send, or as long as the server's `retryAfterSeconds` says when it refused. `initialCooldown` starts
 * the cooldown on mount, for a code that was sent by the step before (e.g. `signIn.create` of a password reset).
 * `resend()` resolves to the send's `{ error }`. When a send answers that the attempt moved on meanwhile (`movedOn`:
 * its code was used, or it went on or completed, e.g. in another tab), `reload` (the sign-in's or sign-up's
 * `reload()`; on /account, a read of the account or verification), given that error, reads the attempt again, so
 * the page moves on to the step it is at now; the send then resolves to the reload's `{ error }`.
 */
export function useCodeSender(send: Send, reload: Reload, autoSend: boolean, initialCooldown = 0) {
  const { remaining, start } = useCountdown()
  const [sending, setSending] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const sendRef = useRef(send)
  sendRef.current = send
  const reloadRef = useRef(reload)
  reloadRef.current = reload

  const doSend = useCallback(
    async (isResend: boolean) => {
      setSending(true)
      setNotice(null)
      const { error } = await sendRef.current()
      if (error && movedOn(error)) {
        const reloaded = await reloadRef.current(error)
        setSending(false)
        return reloaded
      }
      setSending(false)
      if (!error) {
        start(RESEND_COOLDOWN_SECONDS)
        if (isResend) setNotice('We sent you a new code.')
        return { error: null }
      }
      const wait = error.errors[0]?.meta.retryAfterSeconds ?? error.retryAfter
      if (typeof wait === 'number' && wait > 0) start(wait)
      return { error }
    },
    [start],
  )

  const autoSent = useRef(false)
  useEffect(() => {
    if (autoSend && !autoSent.current) {
      autoSent.current = true
      void doSend(false)
    }
  }, [autoSend, doSend])

  const initial = useRef(initialCooldown)
  useEffect(() => {
    if (initial.current > 0) start(initial.current)
  }, [start])

  return { resend: () => doSend(true), remaining, sending, notice }
}
