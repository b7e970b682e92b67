/**
 * Sequence orders the answers of the calls that write one piece of local state (a sign-in, a sign-up, the client's
 * session and user). Calls are numbered as they start; an answer is applied only if its call started after the call
 * whose answer was applied last, and after the last `reset()`. So a late answer never overwrites a newer one (a slow
 * resend after a fast verify), and nothing started before a reset or a sign-out brings the old state back.
 * A final answer (a sign-in or sign-up the server completed: a state it never leaves) applies whenever it arrives,
 * short of a reset, and makes every answer still on its way stale.
 */
export class Sequence {
  #started = 0
  #applied = 0
  #reset = 0

  /** begin numbers a call that is about to start; hand the number to `fresh` when its answer arrives. */
  begin(): number {
    return ++this.#started
  }

  /**
   * fresh tells whether the answer of call `n` may be applied, and if so records it as the latest applied: it is
   * false when `reset()` came after call `n` started, or (unless the answer is `final`) when a call started later
   * was applied already.
   */
  fresh(n: number, final = false): boolean {
    if (n <= this.#reset || (!final && n <= this.#applied)) return false
    this.#applied = final ? this.#started : n
    return true
  }

  /**
   * pending tells, without recording anything, whether the answer of call `n` could still be applied: no reset and
   * no later call's answer came since it started (a call that waits before asking again stops when it is not).
   */
  pending(n: number): boolean {
    return n > this.#reset && n > this.#applied
  }

  /** reset makes the answers of every call started so far stale. */
  reset(): void {
    this.#reset = this.#applied = this.#started
  }
}
