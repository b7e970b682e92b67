/**
 * A DOM stand-in for the React Native and Expo modules the Expo example pages import (react-native, expo-router,
 * @/components/themed-*, @/constants/theme, @/hooks/use-color-scheme), so Clerk's Expo guide code renders in jsdom
 * unchanged but for its import lines. Inputs are labelled by their placeholder; the router records where it was sent.
 */
import type { CSSProperties, ReactNode } from 'react'

// react-native

type Style = unknown
/** StyleSheet.create returns the styles it is given; the shim draws no styles. */
export const StyleSheet = { create: <T,>(s: T): T => s }

/** View is a <div>. */
export function View({ children }: { style?: Style; children?: ReactNode }) {
  return <div>{children}</div>
}
/** ThemedView (@/components/themed-view) is a <div>. */
export function ThemedView({ children }: { style?: Style; children?: ReactNode }) {
  return <div>{children}</div>
}
/** ThemedText (@/components/themed-text) is an <h1> for `type="title"`, else a <span>. */
export function ThemedText({ children, type }: { style?: Style; type?: string; children?: ReactNode }) {
  return type === 'title' ? <h1>{children}</h1> : <span>{children}</span>
}
/** TextInput is an <input> labelled by its placeholder. */
export function TextInput(props: {
  style?: Style
  value: string
  placeholder?: string
  placeholderTextColor?: string
  onChangeText: (t: string) => void
  keyboardType?: string
  autoCapitalize?: string
  secureTextEntry?: boolean
}) {
  return (
    <input
      aria-label={props.placeholder}
      type={props.secureTextEntry ? 'password' : 'text'}
      value={props.value}
      onChange={(e) => props.onChangeText(e.target.value)}
    />
  )
}
/** Pressable is a <button>; a style function is called once, as React Native would. */
export function Pressable(props: {
  style?: object | ((s: { pressed: boolean }) => unknown)
  onPress?: () => unknown
  disabled?: boolean
  children?: ReactNode
}) {
  if (typeof props.style === 'function') props.style({ pressed: false })
  return (
    <button type="button" disabled={props.disabled} onClick={() => void props.onPress?.()}>
      {props.children}
    </button>
  )
}

// expo-router
/** Href is an expo-router route. */
export type Href = string
/** expoNavigation holds the hrefs passed to `router.push`, for tests to read. */
export const expoNavigation = { pushed: [] as string[] }
const expoRouter = { push: (h: Href) => void expoNavigation.pushed.push(h) }
/** useRouter returns the recording router. */
export function useRouter() {
  return expoRouter
}
/** Link is an <a>. */
export function Link({ href, children }: { href: Href; children?: ReactNode }) {
  return <a href={href}>{children}</a>
}

// @/constants/theme, @/hooks/use-color-scheme
/** Colors are the theme colours of the Expo template. */
export const Colors: Record<'light' | 'dark', { background: CSSProperties['color']; icon: string }> = {
  light: { background: '#fff', icon: '#666' },
  dark: { background: '#000', icon: '#999' },
}
/** useColorScheme always answers light. */
export function useColorScheme(): 'light' | 'dark' | null {
  return 'light'
}
