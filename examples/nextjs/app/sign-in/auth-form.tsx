'use client'

import { useRouter } from 'next/navigation'
import { type FormEvent, useState } from 'react'
import { authClient } from '@/lib/auth-client'
import { clearTodoTokens } from '@/lib/todo-token'

/** Sign in, or create an account (Better Auth, email and password). */
export function AuthForm() {
  const router = useRouter()
  const [mode, setMode] = useState<'sign-in' | 'sign-up'>('sign-in')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const email = String(form.get('email'))
    const password = String(form.get('password'))
    setBusy(true)
    setError(null)
    const { error } =
      mode === 'sign-up'
        ? await authClient.signUp.email({ email, password, name: String(form.get('name') ?? '') })
        : await authClient.signIn.email({ email, password })
    setBusy(false)
    if (error) {
      setError(error.message ?? error.statusText)
      return
    }
    clearTodoTokens()
    router.replace('/tasks')
    router.refresh()
  }

  return (
    <form onSubmit={submit} className="auth-form" aria-label={mode === 'sign-up' ? 'Create an account' : 'Sign in'}>
      {mode === 'sign-up' && (
        <label>
          Name
          <input name="name" autoComplete="name" required />
        </label>
      )}
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'}
          minLength={8}
          required
        />
      </label>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {mode === 'sign-up' ? 'Create account' : 'Sign in'}
      </button>
      <button type="button" className="link" onClick={() => setMode(mode === 'sign-up' ? 'sign-in' : 'sign-up')}>
        {mode === 'sign-up' ? 'I have an account' : 'Create an account'}
      </button>
    </form>
  )
}
