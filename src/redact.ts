/**
 * Redaction for messages and logs: URLs lose their query string, fragment and credentials, where
 * signatures, tokens and client ids live. Secrets are never logged.
 *
 * @module
 */

/** A URL fit for an error message: scheme, host and path only. */
export function redact(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
