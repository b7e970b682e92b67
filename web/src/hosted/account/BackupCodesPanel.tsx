import { useState } from 'react'
import { Alert } from '../../ui/Alert'
import { Button } from '../../ui/Button'

/** backupCodesText is the content of the downloaded .txt file. */
export function backupCodesText(codes: string[], account: string): string {
  return [
    `trustgate backup codes for ${account}`,
    `Generated ${new Date().toISOString()}`,
    'Each code works once. Keep them somewhere safe.',
    '',
    ...codes,
    '',
  ].join('\n')
}

/**
 * BackupCodesPanel shows a fresh set of backup codes, once, with ways to keep them: copy, download as .txt, or
 * print (a print stylesheet shows only this panel).
 */
export function BackupCodesPanel({ codes, account, onDone }: { codes: string[]; account: string; onDone: () => void }) {
  const [status, setStatus] = useState<string | null>(null)

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'))
      setStatus('Copied the codes to the clipboard.')
    } catch {
      setStatus('Could not copy. Select the codes and copy them by hand.')
    }
  }

  const download = () => {
    const url = URL.createObjectURL(new Blob([backupCodesText(codes, account)], { type: 'text/plain' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'trustgate-backup-codes.txt'
    document.body.append(a)
    a.click()
    a.remove()
    URL.revokeObjectURL(url)
    setStatus('Downloaded trustgate-backup-codes.txt.')
  }

  const print = () => {
    document.body.dataset.print = 'backup-codes'
    window.print()
    delete document.body.dataset.print
  }

  return (
    <section className="backup-codes print-area" aria-labelledby="backup-codes-title">
      <h3 id="backup-codes-title">Your backup codes</h3>
      <Alert tone="info">
        Save these codes now: this is the only time they are shown. Each code signs you in once if you lose your
        authenticator app or phone.
      </Alert>
      <ol className="backup-codes__list" aria-label="Backup codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="actions no-print">
        <Button variant="secondary" onClick={copy}>
          Copy
        </Button>
        <Button variant="secondary" onClick={download}>
          Download .txt
        </Button>
        <Button variant="secondary" onClick={print}>
          Print
        </Button>
        <Button onClick={onDone}>I've saved my codes</Button>
      </div>
      <p className="visually-hidden" role="status">
        {status}
      </p>
      {status && (
        <p className="muted no-print" aria-hidden="true">
          {status}
        </p>
      )}
    </section>
  )
}
