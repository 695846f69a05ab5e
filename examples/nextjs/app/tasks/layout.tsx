import { redirect } from 'next/navigation'
import type { ReactNode } from 'react'
import { serverEnv } from '@/lib/env'
import { getSession } from '@/lib/session'
import { SignOutButton } from './sign-out-button'
import { TodoProviders } from './todo-providers'

/** The signed-in part of the app: the user's own query cache and API client, keyed by user. */
export default async function TasksLayout({ children }: { children: ReactNode }) {
  const session = await getSession()
  if (!session) redirect('/sign-in')
  const { user } = session
  return (
    <TodoProviders key={user.id} userId={user.id} apiUrl={serverEnv().apiPublicUrl}>
      <header className="bar">
        <span data-testid="signed-in-as">{user.email}</span>
        <SignOutButton />
      </header>
      {children}
    </TodoProviders>
  )
}
