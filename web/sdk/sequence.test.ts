import { describe, expect, it } from 'vitest'
import { Sequence } from './sequence'

describe('Sequence', () => {
  it('applies answers in the order their calls started, whatever order they arrive in', () => {
    const seq = new Sequence()
    const first = seq.begin()
    const second = seq.begin()
    expect(seq.fresh(second)).toBe(true)
    expect(seq.fresh(first)).toBe(false) // overtaken by a call that started later
    const third = seq.begin()
    expect(seq.fresh(third)).toBe(true)
  })

  it('makes every call started before reset() stale, and none started after', () => {
    const seq = new Sequence()
    const before = seq.begin()
    seq.reset()
    const after = seq.begin()
    expect(seq.fresh(before)).toBe(false)
    expect(seq.fresh(after)).toBe(true)
  })

  it('applies a final answer however late, short of a reset, and makes the calls still on their way stale', () => {
    const seq = new Sequence()
    const verify = seq.begin()
    const resend = seq.begin()
    const other = seq.begin()
    expect(seq.fresh(resend)).toBe(true)
    expect(seq.fresh(verify, true)).toBe(true)
    expect(seq.fresh(other)).toBe(false)
    const late = seq.begin()
    seq.reset()
    expect(seq.fresh(late, true)).toBe(false)
  })
})
