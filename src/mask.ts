import {maskSecretsInText} from './db/url.js'

/**
 * Masking by structure, never by text: the password field of every URL is
 * masked (`mysql://u:****@h/db`), and a known secret only where it stands as a
 * whole word (as when a value typed on the command line is echoed back in an
 * error). A password `1` therefore leaves 127.0.0.1 alone, and a password `x`
 * leaves x@example.com alone.
 */
export function maskText(text: string, secrets: readonly string[] = []): string {
  const masked = maskSecretsInText(text)
  const known = new Set(secrets.filter((s) => s.length > 0))
  if (known.size === 0) return masked
  return masked.replace(/\S+/g, (word) => {
    // Quotes and brackets around a word, and the punctuation that ends a sentence, are not part of it.
    const m = /^(["'([{<`]*)(.*?)(["')\]}>`.,;:!?]*)$/s.exec(word)!
    return known.has(m[2]) ? `${m[1]}****${m[3]}` : word
  })
}
