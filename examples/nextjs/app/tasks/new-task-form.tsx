'use client'

import { type FormEvent, useState } from 'react'
import { fieldErrors } from '@/lib/field-errors'

interface NewTask {
  title: string
  description: string | null
}

/** The form above the list. The API validates; its issues are shown next to their fields. */
export function NewTaskForm({
  onCreate,
  error,
  pending,
}: {
  onCreate: (task: NewTask, options: { onError: () => void }) => void
  error: unknown
  pending: boolean
}) {
  const [title, setTitle] = useState('')
  const [description, setDescription] = useState('')
  const errors = fieldErrors(error, ['title', 'description'])

  // The new task shows in the list at once, so the form is emptied at once; if the API refuses
  // the task, what was typed comes back (unless something new was typed meanwhile).
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const typed = { title, description }
    setTitle('')
    setDescription('')
    onCreate(
      { title: typed.title, description: typed.description.trim() ? typed.description : null },
      {
        onError: () => {
          setTitle((current) => current || typed.title)
          setDescription((current) => current || typed.description)
        },
      },
    )
  }

  return (
    <form onSubmit={submit} className="task-form" aria-label="New task">
      <label>
        Title
        <input
          name="title"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={errors.title ? 'new-title-error' : undefined}
        />
      </label>
      {errors.title && (
        <p id="new-title-error" className="field-error">
          {errors.title}
        </p>
      )}
      <label>
        Description
        <textarea
          name="description"
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? 'new-description-error' : undefined}
        />
      </label>
      {errors.description && (
        <p id="new-description-error" className="field-error">
          {errors.description}
        </p>
      )}
      {errors.form && (
        <p role="alert" className="error">
          {errors.form}
        </p>
      )}
      <button type="submit" disabled={pending}>
        Add task
      </button>
    </form>
  )
}
