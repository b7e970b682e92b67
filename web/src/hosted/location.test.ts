import { describe, expect, it } from 'vitest'
import { safeRedirectUrl } from './location'

const HERE = 'https://auth.example.com'
const ALLOWED = ['https://app.example.com', 'http://localhost:5173/', 'HTTPS://Shop.Example.com']

const redirect = (url: string, allowed: readonly string[] = ALLOWED) =>
  safeRedirectUrl(`?${new URLSearchParams({ redirect_url: url })}`, allowed, HERE)

describe('safeRedirectUrl', () => {
  it.each([
    ['/after?x=1', 'https://auth.example.com/after?x=1'],
    ['https://auth.example.com/account', 'https://auth.example.com/account'],
    ['https://app.example.com/dashboard?tab=2#top', 'https://app.example.com/dashboard?tab=2#top'],
    ['https://app.example.com', 'https://app.example.com/'],
    ['https://APP.example.com:443/x', 'https://app.example.com/x'],
    // Listed with a trailing slash, or in capitals: the server compares origins the same way.
    ['http://localhost:5173/cb', 'http://localhost:5173/cb'],
    ['https://shop.example.com/cart', 'https://shop.example.com/cart'],
  ])('follows %s', (url, want) => {
    expect(redirect(url)).toBe(want)
  })

  it.each([
    ['another origin, not listed', 'https://evil.example/phish'],
    ['a listed host on another scheme', 'http://app.example.com/x'],
    ['a listed host on another port', 'https://app.example.com:8443/x'],
    ['a subdomain of a listed host', 'https://eu.app.example.com/x'],
    ['a listed host as a prefix of another', 'https://app.example.com.evil.example/x'],
    ['userinfo that looks like the listed host', 'https://app.example.com@evil.example/x'],
    ['userinfo that looks like this host', 'https://auth.example.com@evil.example/'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['backslashes that browsers read as a protocol-relative URL', '/\\evil.example/x'],
    ['a javascript: URL', 'javascript:alert(document.cookie)'],
    ['a javascript: URL in capitals, with spaces', '  JavaScript:alert(1)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['not a URL at all', 'http://'],
  ])('refuses %s', (_, url) => {
    expect(redirect(url)).toBeNull()
  })

  it('follows only this origin when the application allows none, and ignores entries that are not bare origins', () => {
    expect(redirect('https://app.example.com/x', [])).toBeNull()
    expect(redirect('/x', [])).toBe('https://auth.example.com/x')
    expect(redirect('https://app.example.com/x', ['https://app.example.com/some/path'])).toBeNull()
    expect(redirect('https://app.example.com/x', ['https://user:pw@app.example.com'])).toBeNull()
    expect(redirect('https://app.example.com/x', ['*', 'app.example.com', 'javascript:alert(1)'])).toBeNull()
  })

  it('returns null without a redirect_url', () => {
    expect(safeRedirectUrl('', ALLOWED, HERE)).toBeNull()
    expect(safeRedirectUrl('?redirect_url=', ALLOWED, HERE)).toBeNull()
  })
})
