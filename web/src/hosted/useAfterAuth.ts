import { useCallback } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { useTrustgate } from '@trustgate/react'
import { browser, safeRedirectUrl, withCarriedParams } from './location'

/**
 * useAfterAuth returns the function that leaves a finished sign-in or sign-up: to `?redirect_url=` when it is on
 * this origin or on one of the application's `allowedOrigins` (a full page load, since it may be outside this app),
 * else to `/account`. The origins come from the environment, which the pages have usually loaded already; if it
 * cannot be read, only this origin is followed.
 */
export function useAfterAuth(): () => Promise<void> {
  const client = useTrustgate()
  const navigate = useNavigate()
  const { search } = useLocation()
  return useCallback(async () => {
    const env = await client.environment()
    const target = safeRedirectUrl(search, env.data?.allowedOrigins)
    if (target) browser.assign(target)
    else {
      const params = new URLSearchParams(search)
      params.delete('redirect_url')
      navigate(withCarriedParams('/account', `?${params}`), { replace: true })
    }
  }, [client, navigate, search])
}
