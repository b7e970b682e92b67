/**
 * The example app: Clerk's Next.js Client Trust pages (unchanged but for the import) mounted the way a Next.js app
 * would mount them, for the end-to-end run (`e2e/examples.mjs`). `/sign-in` is the page (`app/sign-in/page.tsx`),
 * `/` the home page it navigates to once signed in. The layout below is the app's part, like a Next.js
 * `app/layout.tsx` with `<ClerkProvider>`: it configures the SDK from the deployment's `/trustgate.json`
 * (`{ example, url, publishableKey, clientToken? }`, the stand-in for Next.js's `NEXT_PUBLIC_*` variables).
 */
import { StrictMode, type ComponentType } from 'react'
import { createRoot } from 'react-dom/client'
import { createClient, TrustgateProvider, useAuth, useUser } from '@trustgate/react'
import EmailCodePage from '../nextjs-email-code/app/sign-in/page'
import SmsCodePage from '../nextjs-sms-code/app/sign-in/page'
import { navigation, usePathname } from './next-navigation'

/** ExampleConfig is `/trustgate.json`. */
interface ExampleConfig {
  example: 'nextjs-email-code' | 'nextjs-sms-code'
  url: string
  publishableKey: string
  clientToken?: 'cookie' | 'header'
}

const pages: Record<ExampleConfig['example'], ComponentType> = {
  'nextjs-email-code': EmailCodePage,
  'nextjs-sms-code': SmsCodePage,
}

declare global {
  interface Window {
    /** trustgateExample lets the end-to-end run read where the page navigated (the recording router). */
    trustgateExample?: { navigation: typeof navigation }
  }
}

function Home() {
  const { isLoaded, isSignedIn, user } = useUser()
  const { sessionId, signOut } = useAuth()
  if (!isLoaded) return <p>Loading…</p>
  if (!isSignedIn) {
    return (
      <>
        <h1>Signed out</h1>
        <a href="/sign-in">Sign in</a>
      </>
    )
  }
  const who = user.primaryEmailAddress?.emailAddress ?? user.phoneNumbers[0]?.phoneNumber ?? user.id
  return (
    <>
      <h1>Signed in</h1>
      <p data-testid="signed-in-as">{who}</p>
      <p data-testid="session-id">{sessionId}</p>
      <button onClick={() => void signOut()}>Sign out</button>
    </>
  )
}

function Route({ Page }: { Page: ComponentType }) {
  const pathname = usePathname()
  if (pathname === '/sign-in') return <Page />
  if (pathname === '/') return <Home />
  return <h1>Not found</h1>
}

function App({ example, Page }: { example: string; Page: ComponentType }) {
  return (
    <>
      <header>
        <small>
          Example app <code>{example}</code>: Clerk&apos;s guide page with only the import changed, on trustgate
        </small>
      </header>
      <main>
        <Route Page={Page} />
      </main>
    </>
  )
}

async function main() {
  const config = (await (await fetch('/trustgate.json')).json()) as ExampleConfig
  const Page = pages[config.example]
  if (!Page) throw new Error(`unknown example ${JSON.stringify(config.example)}`)
  const client = createClient({ url: config.url, publishableKey: config.publishableKey, clientToken: config.clientToken ?? 'cookie' })
  window.trustgateExample = { navigation }
  document.title = `${config.example} · trustgate example`
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <TrustgateProvider client={client}>
        <App example={config.example} Page={Page} />
      </TrustgateProvider>
    </StrictMode>,
  )
}

void main()
