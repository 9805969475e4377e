// An HTTP CONNECT proxy on loopback, as self-hosted runners sit behind: it tunnels TLS to the
// emulator, resolving every host name to 127.0.0.1 (so a name only the proxy can resolve, like
// `emulator.test`, proves a request went through it), and records each tunnel it opened.
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ConnectProxy {
  /** e.g. http://127.0.0.1:41234 (credentials not included). */
  readonly url: string
  /** `host:port` of every CONNECT accepted, in order. */
  readonly tunnels: string[]
  /** CONNECTs refused for missing or wrong credentials. */
  readonly refused: number
  /** Requests that were not CONNECT (a client sending plain HTTP to the proxy). */
  readonly plain: string[]
  stop(): Promise<void>
}

export interface ConnectProxyOptions {
  /** Require `Proxy-Authorization: Basic base64(user:password)`. */
  credentials?: { user: string; password: string }
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const tunnels: string[] = []
  const plain: string[] = []
  let refused = 0
  const sockets = new Set<net.Socket>()
  const expected = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`
    : undefined
  const server = http.createServer((req, res) => {
    plain.push(`${req.method} ${req.url}`)
    res.writeHead(405).end()
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) {
      refused++
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n')
      return
    }
    const target = req.url ?? ''
    const match = /^(.+):(\d+)$/.exec(target)
    if (!match) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n')
      return
    }
    tunnels.push(target)
    const upstream = net.connect(Number(match[2]), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    get refused() {
      return refused
    },
    plain,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
