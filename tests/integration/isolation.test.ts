import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { doors } from '../setup/doors.js'
import { useServer } from '../setup/server.js'

describe.each(doors)("another user's tasks at the %s door", (_name, makeDoor) => {
  const server = useServer()

  async function setup() {
    const alice = await newUser()
    const bob = await newUser()
    const asAlice = makeDoor(server.url, alice.token)
    const asBob = makeDoor(server.url, bob.token)
    const task = (await asAlice.create({ user_id: alice.id, title: "Alice's", description: 'private' })).data!
    return { alice, bob, asAlice, asBob, task }
  }

  it("answers 403 for every operation on Alice's path", async () => {
    const { alice, asBob, task } = await setup()
    const onAlicesPath = { user_id: alice.id, id: task.id }
    const outcomes = await Promise.all([
      asBob.create({ user_id: alice.id, title: 'planted' }),
      asBob.list({ user_id: alice.id }),
      asBob.get(onAlicesPath),
      asBob.update({ ...onAlicesPath, title: 'hijacked' }),
      asBob.complete(onAlicesPath),
      asBob.remove(onAlicesPath),
    ])
    for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 403, code: 'FORBIDDEN' })
  })

  it('answers 403 before looking at the rest of the input', async () => {
    const { alice, asBob } = await setup()
    expect(await asBob.create({ user_id: alice.id, title: '' })).toMatchObject({ status: 403 })
  })

  it("answers 404 for Alice's task id under Bob's own path, as for no task at all", async () => {
    const { bob, asBob, task } = await setup()
    const onBobsPath = { user_id: bob.id, id: task.id }
    const outcomes = await Promise.all([
      asBob.get(onBobsPath),
      asBob.update({ ...onBobsPath, title: 'hijacked' }),
      asBob.complete(onBobsPath),
      asBob.remove(onBobsPath),
    ])
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'No such task' })
  })

  it("leaves Alice's task and list unchanged after all of it", async () => {
    const { alice, bob, asAlice, asBob, task } = await setup()
    await asBob.create({ user_id: bob.id, title: "Bob's" })
    await asBob.update({ user_id: bob.id, id: task.id, completed: true })
    await asBob.remove({ user_id: bob.id, id: task.id })
    await asBob.remove({ user_id: alice.id, id: task.id })
    expect((await asAlice.get({ user_id: alice.id, id: task.id })).data).toEqual(task)
    expect((await asAlice.list({ user_id: alice.id })).data).toEqual([task])
    expect((await asBob.list({ user_id: bob.id })).data?.map((t) => t.title)).toEqual(["Bob's"])
  })
})
