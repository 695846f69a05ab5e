import { type Kysely, sql } from 'kysely'

// The doorbell of live events moves out of the feed's trigger into the servers. A NOTIFY takes
// a lock that is global to the PostgreSQL cluster while its transaction commits, so a
// notification from every write made concurrent writes commit one at a time: pgbench, 8
// clients inserting tasks, 2,900 to 4,100 inserts a second with it and 6,300 without. The
// servers now ring once per batch of writes (`EventHub.announce`), whatever their number. The
// trigger keeps the feed, as before; the `todo.events` switch of 2026_12_02_000010 has nothing
// left to switch.
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
    ${sql.raw(
      notify
        ? `if current_setting('todo.events', true) is distinct from 'off' then
      perform pg_notify('todo_task_changes', owner || ' ' || position);
    end if;`
        : '',
    )}
    return null;
  end
  $$`

export async function up(db: Kysely<any>): Promise<void> {
  await recordChange(false).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await recordChange(true).execute(db)
}
