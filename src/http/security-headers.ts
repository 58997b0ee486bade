/**
 * Response headers for an api that serves health data: nothing cached by browsers
 * or proxies, nothing framed, no content sniffing, HTTPS only. Pages (the printable
 * report) relax the Content-Security-Policy for their inline styles only.
 */
import type { Context, Next } from 'koa';

export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders() {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set({
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      // Two years, as recommended for HSTS preload; Render serves HTTPS only.
      'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
      'Content-Security-Policy': API_CSP,
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    await next();
  };
}
