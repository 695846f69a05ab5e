/** One event of a `text/event-stream`, as the standard frames it. */
export interface SseEvent {
  id?: string
  event?: string
  data?: string
  retry?: number
  /** Comment lines (heartbeats), if the frame was only that. */
  comment?: string
}

export interface EventStream {
  status: number
  headers: Headers
  /** The error body when the stream was refused. */
  body?: unknown
  /** The next event (a frame with data or an event name); undefined when the stream ended or `timeoutMs` passed. */
  next(timeoutMs?: number): Promise<SseEvent | undefined>
  /** Every frame read so far, comments included. */
  frames: SseEvent[]
  /** Whether the server ended the stream. */
  ended(): boolean
  close(): void
}

/** Opens `GET /api/{user}/tasks/events` (or any event stream) with a real `fetch`, as an EventSource would. */
export async function openEventStream(
  url: string,
  { token, lastEventId }: { token?: string; lastEventId?: string } = {},
): Promise<EventStream> {
  const controller = new AbortController()
  const headers: Record<string, string> = { accept: 'text/event-stream' }
  if (token) headers.authorization = `Bearer ${token}`
  if (lastEventId) headers['last-event-id'] = lastEventId
  const response = await fetch(url, { headers, signal: controller.signal })
  const frames: SseEvent[] = []
  const queue: SseEvent[] = []
  const waiters: ((event: SseEvent | undefined) => void)[] = []
  let done = false
  if (!response.ok || !response.body) {
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
      next: async () => undefined,
      frames,
      ended: () => true,
      close: () => {},
    }
  }
  const deliver = (event: SseEvent | undefined) => {
    const waiter = waiters.shift()
    if (waiter) waiter(event)
    else if (event) queue.push(event)
  }
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const frame = parseFrame(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          frames.push(frame)
          if (frame.data !== undefined || frame.event !== undefined) deliver(frame)
        }
      }
    } catch {
      // aborted by close()
    }
    done = true
    while (waiters.length > 0) deliver(undefined)
  })()
  return {
    status: response.status,
    headers: response.headers,
    frames,
    ended: () => done,
    next(timeoutMs = 5000) {
      const queued = queue.shift()
      if (queued) return Promise.resolve(queued)
      if (done) return Promise.resolve(undefined)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1)
          resolve(undefined)
        }, timeoutMs)
        const waiter = (event: SseEvent | undefined) => {
          clearTimeout(timer)
          resolve(event)
        }
        waiters.push(waiter)
      })
    },
    close: () => controller.abort(),
  }
}

function parseFrame(text: string): SseEvent {
  const frame: SseEvent = {}
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim()
    else {
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') frame.id = value
      else if (field === 'event') frame.event = value
      else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`
      else if (field === 'retry') frame.retry = Number(value)
    }
  }
  return frame
}
