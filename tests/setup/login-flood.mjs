// A client that guesses one account's password as fast as it can: `node login-flood.mjs
// <base url> <email> <concurrency>`. Runs until SIGTERM, then prints how its attempts were
// answered ({ "401": n, "429": n, ... }) as one JSON line.
const [base, email, concurrency = '32'] = process.argv.slice(2)
const counts = {}
let running = true
process.on('SIGTERM', () => {
  running = false
})
async function loop(i) {
  while (running) {
    let outcome
    try {
      const response = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: `wrong guess ${i} ${Math.random()}` }),
      })
      await response.arrayBuffer()
      outcome = String(response.status)
    } catch {
      outcome = 'error'
    }
    counts[outcome] = (counts[outcome] ?? 0) + 1
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, (_, i) => loop(i)))
console.log(JSON.stringify(counts))
