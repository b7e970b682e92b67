import { createContext } from 'react'
import type { NeedsReverificationParams } from '@trustgate/react'

/**
 * AccountReverificationHandler opens "Confirm it's you" for an action. `opener` is the element that had focus when
 * the action started (its button, usually), captured before the button turned busy: a focused button that becomes
 * disabled drops focus to <body> in browsers, so the dialog could not tell where to give focus back otherwise.
 */
export type AccountReverificationHandler = (params: NeedsReverificationParams, opener: HTMLElement | null) => void

/**
 * ReverificationContext holds the account page's "Confirm it's you" handler (`ReverificationProvider`); `useAction`
 * hands it the calls that answer `session_reverification_required`. Undefined outside the provider: the error is
 * then shown as it is, with "Sign in again".
 */
export const ReverificationContext = createContext<AccountReverificationHandler | undefined>(undefined)
