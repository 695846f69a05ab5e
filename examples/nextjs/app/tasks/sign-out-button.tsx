'use client'

import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { authClient } from '@/lib/auth-client'
import { clearTodoTokens } from '@/lib/todo-token'

export function SignOutButton() {
  const router = useRouter()
  const [busy, setBusy] = useState(false)
  async function signOut() {
    setBusy(true)
    await authClient.signOut()
    clearTodoTokens()
    router.replace('/sign-in')
    router.refresh()
  }
  return (
    <button type="button" onClick={signOut} disabled={busy}>
      Sign out
    </button>
  )
}
