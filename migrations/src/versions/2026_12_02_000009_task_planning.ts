import { type Kysely, sql } from 'kysely'

// What people plan with: a due date, a priority, labels, a manual position, and words to find
// a task by. Every new column has a default (or is null), so every existing client and row
// stays as it was.
//
// - `due`: a calendar date (all-day, as Google Tasks keeps it and as an `<input type="date">`
//   gives it); "overdue" is judged in the caller's time zone.
// - `priority`: 0 (none) to 3 (high).
// - `labels` as written; `label_keys` the same labels as compared (the API fills both:
//   accents, case and spacing do not tell two labels apart), indexed for the `label` filter.
// - `position`: a fractional-index key (base 62, compared byte by byte, hence "C"): a task is
//   moved by giving it a key between its new neighbours', no other row rewritten.
// - `search`: title and description as words, accents and case folded, for `q`. Kept by the
//   BEFORE trigger only when the words change, so a toggle rewrites no search index entry.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function todo_search_text(title text, description text) returns text
    language sql immutable parallel safe
    return lower(regexp_replace(normalize(title || ' ' || coalesce(description, ''), NFKD), '[\\u0300-\\u036f]', '', 'g'))`.execute(
    db,
  )
  await db.schema
    .alterTable('tasks')
    .addColumn('due', 'date')
    .addColumn('priority', 'smallint', (col) => col.notNull().defaultTo(0).check(sql`priority between 0 and 3`))
    .addColumn('labels', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`).check(sql`cardinality(labels) <= 20`))
    .addColumn('label_keys', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('position', sql`text collate "C"`, (col) => col.check(sql`position ~ '^[0-9A-Za-z]{1,64}$'`))
    .addColumn('search', sql`tsvector`)
    .execute()
  await sql`update tasks set search = to_tsvector('simple', todo_search_text(title, description))`.execute(db)
  await sql`alter table tasks alter column search set not null`.execute(db)

  await sql`
    create or replace function tasks_before_write() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        if (new.title, new.description, new.completed, new.due, new.priority, new.labels, new.position) is not distinct from
           (old.title, old.description, old.completed, old.due, old.priority, old.labels, old.position) then
          return old;
        end if;
        new.version := old.version + 1;
        new.updated_at := now();
        new.completed_at := case
          when not new.completed then null
          when old.completed then old.completed_at
          else now()
        end;
        if (new.title, new.description) is distinct from (old.title, old.description) then
          new.search := to_tsvector('simple', todo_search_text(new.title, new.description));
        end if;
      else
        new.completed_at := case when new.completed then coalesce(new.completed_at, now()) end;
        new.search := to_tsvector('simple', todo_search_text(new.title, new.description));
      end if;
      return new;
    end
    $$`.execute(db)

  await sql`create index tasks_search_idx on tasks using gin (search)`.execute(db)
  await sql`create index tasks_label_keys_idx on tasks using gin (label_keys)`.execute(db)
  // Keyset pages of `sort=due` (soonest first, undated last) and `sort=position`.
  await sql`create index tasks_user_id_due_idx on tasks (user_id, coalesce(due, 'infinity'::date), id)`.execute(db)
  await sql`create index tasks_user_id_position_idx on tasks (user_id, coalesce(position, '~'), id)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'tasks_search_idx',
    'tasks_label_keys_idx',
    'tasks_user_id_due_idx',
    'tasks_user_id_position_idx',
  ]) {
    await sql`drop index ${sql.id(index)}`.execute(db)
  }
  await sql`
    create or replace function tasks_before_write() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        if (new.title, new.description, new.completed) is not distinct from
           (old.title, old.description, old.completed) then
          return old;
        end if;
        new.version := old.version + 1;
        new.updated_at := now();
        new.completed_at := case
          when not new.completed then null
          when old.completed then old.completed_at
          else now()
        end;
      else
        new.completed_at := case when new.completed then coalesce(new.completed_at, now()) end;
      end if;
      return new;
    end
    $$`.execute(db)
  await db.schema
    .alterTable('tasks')
    .dropColumn('due')
    .dropColumn('priority')
    .dropColumn('labels')
    .dropColumn('label_keys')
    .dropColumn('position')
    .dropColumn('search')
    .execute()
  await sql`drop function todo_search_text(text, text)`.execute(db)
}
