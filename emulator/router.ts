// A minimal method + path-pattern router; `:name` segments become URL-decoded params.

export type Params = Record<string, string>

interface Route<H> {
  method: string
  pattern: RegExp
  names: string[]
  handler: H
}

export class Router<H> {
  private readonly routes: Route<H>[] = []

  add(method: string, path: string, handler: H): this {
    const names: string[] = []
    const source = path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        names.push(segment.slice(1))
        return '([^/]+)'
      })
      .join('/')
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler })
    return this
  }

  match(method: string, path: string): { handler: H; params: Params } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue
      const found = route.pattern.exec(path)
      if (!found) continue
      const params: Params = {}
      try {
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1] ?? '')))
      } catch {
        return undefined // malformed %-encoding: no such resource
      }
      return { handler: route.handler, params }
    }
    return undefined
  }
}
