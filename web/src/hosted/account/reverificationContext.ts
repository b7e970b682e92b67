import { createContext } from 'react'
import type { NeedsReverificationHandler } from '@trustgate/react'

/**
 * ReverificationContext holds the account page's "Confirm it's you" handler (`ReverificationProvider`); `useAction`
 * hands it the calls that answer `session_reverification_required`. Undefined outside the provider: the error is
 * then shown as it is, with "Sign in again".
 */
export const ReverificationContext = createContext<NeedsReverificationHandler | undefined>(undefined)
