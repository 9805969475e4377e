// Sealing a secret value for GitHub: libsodium sealed box, standard padded base64.
import sodium from 'libsodium-wrappers'

/** GitHub's public keys are X25519 keys (crypto_box_PUBLICKEYBYTES). */
const PUBLIC_KEY_BYTES = 32

/**
 * Seal `value` (UTF-8) with a GitHub secrets public key given as standard base64.
 * Returns standard padded base64: libsodium-wrappers defaults to URL-safe unpadded,
 * which GitHub rejects with 422.
 */
export async function sealSecret(value: string, publicKeyBase64: string): Promise<string> {
  const publicKey = await decodePublicKey(publicKeyBase64)
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey)
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL)
}

/** Decode and check a public key as GitHub sends it (32 bytes, standard base64). */
export async function decodePublicKey(publicKeyBase64: string): Promise<Uint8Array> {
  await sodium.ready
  let key: Uint8Array
  try {
    key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL)
  } catch {
    throw new Error('GitHub returned a public key that is not standard base64')
  }
  if (key.length !== PUBLIC_KEY_BYTES) {
    throw new Error(`GitHub returned a public key of ${key.length} bytes, expected ${PUBLIC_KEY_BYTES}`)
  }
  return key
}
