/** A TCP relay to a node on 127.0.0.1, for tests: counts what it carries, and can go silent. */
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface Relay {
  port: number
  /** Bytes carried from the node behind the relay to whoever dialled it. */
  bytesBack: () => number
  /** Stops passing bytes either way, keeping every socket open (a network dropping packets). */
  drop: () => void
  close: () => void
}

export async function relay (to: number): Promise<Relay> {
  let dropping = false
  let back = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer(client => {
    const upstream = connect(to, '127.0.0.1')
    for (const s of [client, upstream]) { sockets.add(s); s.on('error', () => undefined) }
    client.on('data', d => { if (!dropping) upstream.write(d) })
    upstream.on('data', d => { if (!dropping) { back += d.length; client.write(d) } })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    bytesBack: () => back,
    drop: () => { dropping = true },
    close: () => { for (const s of sockets) s.destroy(); server.close() }
  }
}
