// Sealing a secret value for GitHub: libsodium sealed box, standard padded base64.
import type sodiumModule from 'libsodium-wrappers'

/** GitHub's public keys are X25519 keys (crypto_box_PUBLICKEYBYTES). */
const PUBLIC_KEY_BYTES = 32
/** Standard base64 with its padding: what GitHub sends and accepts. */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

type Sodium = typeof sodiumModule
let loading: Promise<Sodium> | undefined
let warming = false

/**
 * libsodium is the largest part of the bundle and takes tens of milliseconds to load and
 * initialise, so it is loaded on first use, not at start-up. Idempotent.
 */
function loadSodium(): Promise<Sodium> {
  loading ??= import('libsodium-wrappers').then(async ({ default: sodium }) => {
    await sodium.ready
    return sodium
  })
  return loading
}

/**
 * Loading libsodium blocks the event loop for ~15 ms. Started a moment after the check step's
 * last answers, it runs while the next request (creating the token) is on the wire, instead of
 * holding that request back or delaying the first seal.
 */
const WARM_UP_DELAY_MS = 5

export function warmUpSealing(): void {
  if (warming) return
  warming = true
  setTimeout(() => void loadSodium().catch(() => undefined), WARM_UP_DELAY_MS).unref()
}

/**
 * Seal `value` (UTF-8) with a GitHub secrets public key given as standard base64.
 * Returns standard padded base64: libsodium-wrappers defaults to URL-safe unpadded,
 * which GitHub rejects with 422.
 */
export async function sealSecret(value: string, publicKeyBase64: string): Promise<string> {
  const publicKey = decodePublicKey(publicKeyBase64)
  const sodium = await loadSodium()
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey)
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL)
}

/** Decode and check a public key as GitHub sends it (32 bytes, standard padded base64). */
export function decodePublicKey(publicKeyBase64: string): Uint8Array {
  if (!STANDARD_BASE64.test(publicKeyBase64))
    throw new Error('GitHub returned a public key that is not standard base64')
  const key = new Uint8Array(Buffer.from(publicKeyBase64, 'base64'))
  if (key.length !== PUBLIC_KEY_BYTES) {
    throw new Error(`GitHub returned a public key of ${key.length} bytes, expected ${PUBLIC_KEY_BYTES}`)
  }
  return key
}
