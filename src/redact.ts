/**
 * Redaction for messages and logs: URLs lose their query string, fragment and credentials, where
 * signatures, tokens and client ids live. Secrets are never logged. Every message that names a URL
 * (the URL guard's refusals, "not a valid URL", fetch errors) passes it through {@link redact}.
 *
 * @module
 */

/** The longest redacted text put in a message; longer is cut, with an ellipsis. */
const MAX_LENGTH = 200;

/**
 * A URL fit for an error message: scheme, host (with port) and path only. Text that does not parse
 * as a URL (a malformed address a user typed) is redacted by its shape instead: everything from the
 * first `?` or `#` is dropped, and so is any `user:password@` after the scheme.
 */
export function redact(url: URL | string): string {
  let text: string;
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    text = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    text = String(url)
      .replace(/[?#][\s\S]*$/, '')
      // RFC 3986 §3.2.1: userinfo ends at the last `@` of the authority.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  }
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 3)}...` : text;
}
