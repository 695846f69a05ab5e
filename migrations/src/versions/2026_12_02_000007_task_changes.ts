import { type Kysely, sql } from 'kysely'

// The change feed: one row per task a user has had, naming the task's last change (`upsert`,
// or `delete`: a tombstone, kept for SYNC_RETENTION) and its place in the feed (`seq`).
// Kept by a trigger, so that every writer of `tasks` feeds it, and the change and the write
// commit together.
//
// No gap. A number taken inside a transaction becomes visible when the transaction commits,
// not when it was taken: with a plain sequence, a reader could see change 12 commit before
// change 11, hand out a cursor past 12, and skip 11 forever. Here the writers of one user
// take their numbers one after the other, in commit order: the trigger takes a transaction
// advisory lock on the user (held until commit) before `nextval`, so a number is only ever
// taken after every earlier writer of that user has committed. Whatever a reader sees of a
// user's feed is then a prefix of it, and the feed and its cursors are per user. The lock
// only makes one user's writes wait for each other (different users never share it, but
// for a hash collision); it is taken after the task's row, at the end of the statement (an
// AFTER trigger), in the same order by every writer, so writers cannot deadlock on it.
//
// The alternative, a global sequence read only below the oldest transaction still running
// (`pg_snapshot_xmin(pg_current_snapshot())` with `xid8`), takes no lock but holds every
// user's changes back behind any long transaction of the whole cluster, and a live event
// would have to wait for it. What each costs a write is measured in the README (Keeping
// clients in sync).
//
// A notification on `todo_task_changes` ("<user id> <seq>") rings every listening server at
// commit; it is only a doorbell: the feed stays the truth.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence task_change_seq as bigint`.execute(db)
  await db.schema
    .createTable('task_changes')
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addColumn('task_id', 'uuid', (col) => col.notNull())
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('op', 'text', (col) => col.notNull().check(sql`op in ('upsert', 'delete')`))
    .addColumn('at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('task_changes_pkey', ['user_id', 'task_id'])
    .execute()
  // Serves the feed (a user's changes after a cursor) and its head.
  await db.schema.createIndex('task_changes_user_id_seq_idx').on('task_changes').columns(['user_id', 'seq']).execute()
  // Serves the purge of old tombstones.
  await sql`create index task_changes_deleted_at_idx on task_changes (at) where op = 'delete'`.execute(db)
  await sql`
    create function tasks_record_change() returns trigger language plpgsql as $$
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
      perform pg_notify('todo_task_changes', owner || ' ' || position);
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger tasks_record_insert after insert on tasks
    for each row execute function tasks_record_change()`.execute(db)
  // An update that changed nothing kept its version (see 2026_12_02_000006): no change.
  await sql`
    create trigger tasks_record_update after update on tasks
    for each row when (new.version <> old.version) execute function tasks_record_change()`.execute(db)
  await sql`
    create trigger tasks_record_delete after delete on tasks
    for each row execute function tasks_record_change()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const trigger of ['tasks_record_insert', 'tasks_record_update', 'tasks_record_delete']) {
    await sql`drop trigger ${sql.id(trigger)} on tasks`.execute(db)
  }
  await sql`drop function tasks_record_change()`.execute(db)
  await db.schema.dropTable('task_changes').execute()
  await sql`drop sequence task_change_seq`.execute(db)
}
