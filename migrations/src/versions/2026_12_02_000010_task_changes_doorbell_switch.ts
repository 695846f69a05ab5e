import { type Kysely, sql } from 'kysely'

// The doorbell of live events (the notification of 2026_12_02_000007) can be turned off per
// connection: a server with EVENTS=false sets `todo.events = off` on its connections, and its
// writes then notify no one (the feed is kept all the same).
const recordChange = (notify: boolean) => sql`
  create or replace function tasks_record_change() returns trigger language plpgsql as $$
  declare
    owner text := case when tg_op = 'DELETE' then old.user_id else new.user_id end;
    task uuid := case when tg_op = 'DELETE' then old.id else new.id end;
    position bigint;
  begin
    perform pg_advisory_xact_lock(hashtext('task_changes'), hashtext(owner));
    position := nextval('task_change_seq');
    insert into task_changes (user_id, task_id, seq, op, at)
    values (owner, task, position, case when tg_op = 'DELETE' then 'delete' else 'upsert' end, now())
    on conflict (user_id, task_id) do update set seq = excluded.seq, op = excluded.op, at = excluded.at;
    ${
      notify
        ? sql.raw(`if current_setting('todo.events', true) is distinct from 'off' then
      perform pg_notify('todo_task_changes', owner || ' ' || position);
    end if;`)
        : sql.raw(`perform pg_notify('todo_task_changes', owner || ' ' || position);`)
    }
    return null;
  end
  $$`

export async function up(db: Kysely<any>): Promise<void> {
  await recordChange(true).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await recordChange(false).execute(db)
}
