// The OAuth issuer URL (`oauth-issuer`, init's `--oauth-issuer`): the one other issuer a login may
// name in `tokens.oauth_provenance.issuer`. Both accept the same URLs. No imports.

/** How messages describe a valid issuer (the value itself is never quoted: it may hold a password). */
export const ISSUER_URL_RULE = 'an http(s) URL without a user name, password, query or fragment';

/** The issuer without trailing slashes, or undefined when `raw` is not an issuer URL. */
export function issuerUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const plain = !/[?#]/.test(raw) && !url.username && !url.password;
  return ['https:', 'http:'].includes(url.protocol) && plain ? raw.replace(/\/+$/, '') : undefined;
}
