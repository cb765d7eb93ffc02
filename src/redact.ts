/**
 * Redaction for messages and logs: URLs lose their query string, fragment and credentials, where
 * signatures, tokens and client ids live. Secrets are never logged. Every message that names a URL
 * (the URL guard's refusals, "not a valid URL", fetch errors) passes it through {@link redact}, and
 * text from elsewhere put into a message (another library's error, a provider's) through
 * {@link redactText}, which redacts each URL in it the same way.
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

/**
 * A `scheme://` URL inside free text: it runs to the next whitespace, quote, angle bracket or
 * parenthesis (what ends a URL in prose, RFC 3986 Appendix C), square brackets kept for IPv6 hosts.
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>()]+/gi;
/** A query string left in text: a `?` before a `name=value`, up to the same ends as a URL. */
const QUERY_IN_TEXT = /\?[^\s"'`<>()]*=[^\s"'`<>()]*/g;

/**
 * Text fit for an error message: every `scheme://` URL in it through {@link redact}, and any query
 * string left over (a malformed URL's, cut by a space the URL should not have held) dropped; the
 * rest as it is. For text spence did not write (another library's error message, a provider's, a
 * user's identifier), which may name a signed URL anywhere in it.
 */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redact(url)).replace(QUERY_IN_TEXT, '');
}
