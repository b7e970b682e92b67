import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { Modal } from './Modal'

function Opener() {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button onClick={() => setOpen(true)}>Open</button>
      {open && (
        <Modal title="Question" onClose={() => setOpen(false)}>
          <button>First</button>
          <button>Last</button>
        </Modal>
      )}
    </>
  )
}

describe('Modal', () => {
  it('takes focus, keeps Tab inside, keeps focus when the focused element drops it, and gives it back on Escape', async () => {
    const u = userEvent.setup()
    render(<Opener />)
    await u.click(screen.getByRole('button', { name: 'Open' }))
    const dialog = screen.getByRole('dialog', { name: 'Question' })
    expect(screen.getByRole('button', { name: 'First' })).toHaveFocus()

    await u.tab()
    expect(screen.getByRole('button', { name: 'Last' })).toHaveFocus()
    await u.tab()
    expect(screen.getByRole('button', { name: 'First' })).toHaveFocus()

    // As when a busy button turns disabled: focus falls to <body>, and the dialog takes it back.
    screen.getByRole('button', { name: 'First' }).blur()
    await waitFor(() => expect(dialog).toHaveFocus())

    await u.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Open' })).toHaveFocus()
  })
})
