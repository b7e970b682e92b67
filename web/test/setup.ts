import '@testing-library/jest-dom/vitest'
import { cleanup, configure } from '@testing-library/react'
import { afterEach } from 'vitest'

// Shared 2-core CI machines can be slow: give findBy*/waitFor room before calling an element missing.
configure({ asyncUtilTimeout: 5_000 })

afterEach(() => {
  cleanup()
})
