import { render } from '@testing-library/react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { vi } from 'vitest'
import { routes } from '../src/routes'
import type { fakeServer } from './fakeServer'

/** renderApp renders the SPA's routes at `url`, with the global fetch answered by a fake server. */
export function renderApp(url: string, server: ReturnType<typeof fakeServer>) {
  vi.stubGlobal('fetch', server.fetch)
  sessionStorage.clear()
  const router = createMemoryRouter(routes, { initialEntries: [url] })
  const view = render(<RouterProvider router={router} />)
  return { router, ...view }
}
