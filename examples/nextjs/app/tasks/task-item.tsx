'use client'

import type { Task } from '@todo-api/client-sdk'
import { type FormEvent, useId, useState } from 'react'
import { fieldErrors } from '@/lib/field-errors'

interface Fields {
  title: string
  description: string | null
}

/** One task: a checkbox to toggle it, and edit and delete; an edit form in place while editing. */
export function TaskItem({
  task,
  pending,
  onToggle,
  onDelete,
  onSave,
  saveError,
}: {
  task: Task
  /** Being created: shown, not yet editable. */
  pending: boolean
  onToggle: () => void
  onDelete: () => void
  onSave: (fields: Fields, options: { onSuccess: () => void }) => void
  saveError: unknown
}) {
  const [editing, setEditing] = useState(false)
  const id = useId()

  if (editing) {
    return (
      <li className="task" data-testid="task">
        <EditForm task={task} error={saveError} onCancel={() => setEditing(false)} onSave={onSave} />
      </li>
    )
  }
  return (
    <li className="task" data-testid="task" aria-busy={pending || undefined}>
      <input id={id} type="checkbox" checked={task.completed} onChange={onToggle} disabled={pending} />
      <label htmlFor={id} className={task.completed ? 'done' : undefined}>
        <span className="title">{task.title}</span>
        {task.description && <span className="description">{task.description}</span>}
      </label>
      <button type="button" onClick={() => setEditing(true)} disabled={pending} aria-label={`Edit ${task.title}`}>
        Edit
      </button>
      <button type="button" onClick={onDelete} disabled={pending} aria-label={`Delete ${task.title}`}>
        Delete
      </button>
    </li>
  )
}

function EditForm({
  task,
  error,
  onCancel,
  onSave,
}: {
  task: Task
  error: unknown
  onCancel: () => void
  onSave: (fields: Fields, options: { onSuccess: () => void }) => void
}) {
  const [title, setTitle] = useState(task.title)
  const [description, setDescription] = useState(task.description ?? '')
  const errors = fieldErrors(error, ['title', 'description'])
  const id = useId()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    onSave({ title, description: description.trim() ? description : null }, { onSuccess: onCancel })
  }

  return (
    <form onSubmit={submit} className="task-form" aria-label={`Edit ${task.title}`}>
      <label>
        Title
        <input
          name="title"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={errors.title ? `${id}-title-error` : undefined}
        />
      </label>
      {errors.title && (
        <p id={`${id}-title-error`} className="field-error">
          {errors.title}
        </p>
      )}
      <label>
        Description
        <textarea name="description" value={description} onChange={(event) => setDescription(event.target.value)} />
      </label>
      {errors.description && <p className="field-error">{errors.description}</p>}
      {errors.form && (
        <p role="alert" className="error">
          {errors.form}
        </p>
      )}
      <button type="submit">Save</button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  )
}
