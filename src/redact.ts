// Redaction, in one place. Two layers: every secret the run knows is replaced by value at
// every sink (log, error, output, job summary), whatever its shape; and text the run did not
// write (API error messages, values quoted from inputs) loses anything shaped like a token
// before it is even put into a message.

export const REDACTED = '[redacted]'

/** Token formats with a known prefix: PlanetScale service/OAuth tokens, GitHub tokens. */
const KNOWN_TOKEN = /\b(?:pscale_tkn_|pscale_oauth_|pscale_rt_|gh[opsur]_|github_pat_)[A-Za-z0-9_]+/g
/** A long opaque run in an API's message (base64 padding included): a token without a known prefix looks like this. */
const OPAQUE_RUN = /[A-Za-z0-9+/_-]{32,}={0,2}/g
/**
 * Shorter values are not redacted by value: no credential is that short, and replacing every
 * occurrence of, say, "abc" would garble the messages that explain what went wrong.
 */
export const MIN_REDACTED_LENGTH = 6

/** Replaces substrings shaped like a known token. For values quoted from inputs. */
export function redactKnownTokens(text: string): string {
  return text.replace(KNOWN_TOKEN, REDACTED)
}

export function looksLikeToken(value: string): boolean {
  return redactKnownTokens(value) !== value
}

/** For text an API sent: known token shapes and long opaque runs are replaced. */
export function redactUntrusted(text: string): string {
  return redactKnownTokens(text).replace(OPAQUE_RUN, REDACTED)
}

export interface Redactor {
  /** Registers a secret: from now on it is replaced wherever it appears. */
  add(secret: string): void
  /** The text with every registered secret and every known token shape replaced. */
  redact(text: string): string
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>()
  // Longest first, so that a secret containing another is replaced whole.
  let ordered: string[] = []
  return {
    add(secret) {
      if (secret.length < MIN_REDACTED_LENGTH || secrets.has(secret)) return
      secrets.add(secret)
      ordered = [...secrets].sort((a, b) => b.length - a.length)
    },
    redact(text) {
      let result = text
      for (const secret of ordered) result = result.split(secret).join(REDACTED)
      return redactKnownTokens(result)
    }
  }
}
