import { useCallback, useEffect, useRef, useState } from 'react'
import type { TrustgateAPIResponseErrorLike } from '@trustgate/react'
import { useAdmin } from './api'
import { nodes, type AdminOperation, type Connection } from './operations'

/** QueryState is the state of one admin query: loading, its data, or its error, and how to run it again. */
export interface QueryState<T> {
  data: T | null
  error: TrustgateAPIResponseErrorLike | null
  /** loading is true until the first answer for these variables; a reload keeps the data shown meanwhile. */
  loading: boolean
  /** refreshing is true while a reload runs. */
  refreshing: boolean
  reload: () => void
  /** setData replaces the data locally, e.g. with a mutation's answer. */
  setData: (data: T) => void
}

/**
 * useAdminQuery runs an admin query when mounted and whenever its variables change (compared as JSON); `skip`
 * holds it back (e.g. when the operator lacks the permission, so no denial is recorded for nothing).
 */
export function useAdminQuery<T>(op: AdminOperation, variables: Record<string, unknown> = {}, skip = false): QueryState<T> {
  const api = useAdmin()
  const key = JSON.stringify(variables)
  const [state, setState] = useState<{
    key: string
    data: T | null
    error: TrustgateAPIResponseErrorLike | null
    busy: boolean
  }>({ key, data: null, error: null, busy: !skip })
  const [tick, setTick] = useState(0)

  useEffect(() => {
    if (skip) {
      setState({ key, data: null, error: null, busy: false })
      return
    }
    let live = true
    // Same variables (a reload): keep the data on screen; new variables: drop the old answer.
    setState((s) => (s.key === key ? { ...s, busy: true } : { key, data: null, error: null, busy: true }))
    void api.request<T>(op, JSON.parse(key) as Record<string, unknown>).then((r) => {
      if (!live) return
      setState(r.error ? { key, data: null, error: r.error, busy: false } : { key, data: r.data, error: null, busy: false })
    })
    return () => {
      live = false
    }
  }, [api, op, key, skip, tick])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  const setData = useCallback((data: T) => setState((s) => ({ ...s, data, error: null, busy: false })), [])
  const current = state.key === key
  const data = current ? state.data : null
  const error = current ? state.error : null
  return {
    data,
    error,
    loading: !skip && (!current || (state.busy && data === null && error === null)),
    refreshing: current && state.busy && data !== null,
    reload,
    setData,
  }
}

/** MutationState tracks one admin mutation: whether it runs and its last error. */
export interface MutationState {
  busy: boolean
  error: TrustgateAPIResponseErrorLike | null
  run: <T>(op: AdminOperation, variables: Record<string, unknown>) => Promise<T | null>
  reset: () => void
}

/** useAdminMutation runs admin mutations, keeping the last error for display next to its form. */
export function useAdminMutation(): MutationState {
  const api = useAdmin()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<TrustgateAPIResponseErrorLike | null>(null)
  const mounted = useRef(true)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])
  const run = useCallback(
    async <T,>(op: AdminOperation, variables: Record<string, unknown>): Promise<T | null> => {
      setBusy(true)
      setError(null)
      const r = await api.request<T>(op, variables)
      if (mounted.current) {
        setBusy(false)
        setError(r.error)
      }
      return r.error ? null : r.data
    },
    [api],
  )
  const reset = useCallback(() => setError(null), [])
  return { busy, error, run, reset }
}

/** fieldError picks the error about one input (by `paramName`) out of a mutation's error. */
export function fieldError(error: TrustgateAPIResponseErrorLike | null, param: string) {
  return error?.errors.find((e) => e.meta.paramName === param) ?? null
}

/** otherErrors are the errors of a mutation that name none of `params`, for the form's summary. */
export function otherErrors(error: TrustgateAPIResponseErrorLike | null, params: readonly string[]) {
  const rest = error?.errors.filter((e) => !e.meta.paramName || !params.includes(e.meta.paramName)) ?? []
  return rest.length ? rest : null
}

/** PagedState is a cursor-paginated list: the rows so far, and "load more". */
export interface PagedState<T> {
  items: T[]
  total: number | null
  hasNext: boolean
  loading: boolean
  loadingMore: boolean
  error: TrustgateAPIResponseErrorLike | null
  moreError: TrustgateAPIResponseErrorLike | null
  reload: () => void
  more: () => void
}

/**
 * usePaged runs a connection query (first page when the variables change) and appends the next page, from
 * `pageInfo.endCursor`, each time `more()` is called.
 */
export function usePaged<T, D>(
  op: AdminOperation,
  variables: Record<string, unknown>,
  pick: (data: D) => Connection<T>,
  skip = false,
): PagedState<T> {
  const api = useAdmin()
  const key = JSON.stringify(variables)
  const pickRef = useRef(pick)
  pickRef.current = pick
  const [tick, setTick] = useState(0)
  const [state, setState] = useState<{
    items: T[]
    total: number | null
    cursor: string | null
    hasNext: boolean
    loading: boolean
    loadingMore: boolean
    error: TrustgateAPIResponseErrorLike | null
    moreError: TrustgateAPIResponseErrorLike | null
  }>({ items: [], total: null, cursor: null, hasNext: false, loading: !skip, loadingMore: false, error: null, moreError: null })
  const generation = useRef(0)

  useEffect(() => {
    const gen = ++generation.current
    if (skip) {
      setState((s) => ({ ...s, items: [], loading: false }))
      return
    }
    setState((s) => ({ ...s, loading: true, error: null, moreError: null }))
    void api.request<D>(op, JSON.parse(key) as Record<string, unknown>).then((r) => {
      if (gen !== generation.current) return
      if (r.error) {
        setState((s) => ({ ...s, items: [], loading: false, error: r.error }))
        return
      }
      const c = pickRef.current(r.data)
      setState({
        items: nodes(c),
        total: c.totalCount,
        cursor: c.pageInfo.endCursor,
        hasNext: c.pageInfo.hasNextPage,
        loading: false,
        loadingMore: false,
        error: null,
        moreError: null,
      })
    })
  }, [api, op, key, skip, tick])

  const stateRef = useRef(state)
  stateRef.current = state
  const more = useCallback(() => {
    const gen = generation.current
    const s = stateRef.current
    if (!s.hasNext || s.loadingMore) return
    stateRef.current = { ...s, loadingMore: true }
    setState((p) => ({ ...p, loadingMore: true, moreError: null }))
    void api.request<D>(op, { ...(JSON.parse(key) as Record<string, unknown>), after: s.cursor }).then((r) => {
      if (gen !== generation.current) return
      if (r.error) {
        setState((p) => ({ ...p, loadingMore: false, moreError: r.error }))
        return
      }
      const c = pickRef.current(r.data)
      setState((p) => ({
        ...p,
        items: [...p.items, ...nodes(c)],
        total: c.totalCount,
        cursor: c.pageInfo.endCursor,
        hasNext: c.pageInfo.hasNextPage,
        loadingMore: false,
      }))
    })
  }, [api, op, key])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  return {
    items: state.items,
    total: state.total,
    hasNext: state.hasNext,
    loading: state.loading,
    loadingMore: state.loadingMore,
    error: state.error,
    moreError: state.moreError,
    reload,
    more,
  }
}
