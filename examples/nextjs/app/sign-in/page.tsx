import { redirect } from 'next/navigation'
import { getSession } from '@/lib/session'
import { AuthForm } from './auth-form'

export default async function SignInPage() {
  if (await getSession()) redirect('/tasks')
  return (
    <main>
      <h1>Todo</h1>
      <AuthForm />
    </main>
  )
}
