import { useCallback } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { browser, safeRedirectUrl, withCarriedParams } from './location'

/**
 * useAfterAuth returns the function that leaves a finished sign-in or sign-up: to `?redirect_url=` when it is
 * same-origin (a full page load, since it may be outside this app), else to `/account`.
 */
export function useAfterAuth(): () => void {
  const navigate = useNavigate()
  const { search } = useLocation()
  return useCallback(() => {
    const target = safeRedirectUrl(search)
    if (target) browser.assign(target)
    else {
      const params = new URLSearchParams(search)
      params.delete('redirect_url')
      navigate(withCarriedParams('/account', `?${params}`), { replace: true })
    }
  }, [navigate, search])
}
