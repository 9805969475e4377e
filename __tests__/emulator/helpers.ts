// Plain-fetch helpers for the emulator's own tests (deliberately not the action's clients).
import sodium from 'libsodium-wrappers'
import { seedDemo, startEmulator, type DemoSeed, type Emulator, type EmulatorOptions } from '../../emulator/index.js'

export interface Reply {
  status: number
  headers: Headers
  text: string
  /** Parsed JSON, or undefined for an empty / non-JSON body. */
  json: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await response.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

export type PsAuth = { id: string; token: string } | string | undefined

/** A PlanetScale call; `auth` is a credential pair or a raw Authorization header. */
export function ps(emu: Emulator, method: string, path: string, auth: PsAuth, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (auth !== undefined) headers.authorization = typeof auth === 'string' ? auth : `${auth.id}:${auth.token}`
  return call(`${emu.planetscaleUrl}${path}`, method, headers, body)
}

/** A GitHub call with `Authorization: Bearer <token>`. */
export function gh(
  emu: Emulator,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown
): Promise<Reply> {
  return call(`${emu.githubUrl}${path}`, method, token === undefined ? {} : { authorization: `Bearer ${token}` }, body)
}

/** What a correct client sends: crypto_box_seal, standard padded base64. */
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  await sodium.ready
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL)
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL)
}

/** Fetches the scope's public key over HTTP and PUTs the sealed value. */
export async function putSecret(
  emu: Emulator,
  token: string,
  scopePath: string,
  name: string,
  value: string,
  extra: Record<string, unknown> = {}
): Promise<Reply> {
  const key = await gh(emu, 'GET', `${scopePath}/secrets/public-key`, token)
  if (key.status !== 200) return key
  const encrypted_value = await seal(value, key.json.key)
  return gh(emu, 'PUT', `${scopePath}/secrets/${name}`, token, { encrypted_value, key_id: key.json.key_id, ...extra })
}

export async function startSeeded(options: EmulatorOptions = {}): Promise<{ emu: Emulator; seed: DemoSeed }> {
  const emu = await startEmulator(options)
  return { emu, seed: seedDemo(emu) }
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2026-11-22T06:00:00.000Z')) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) }
}
