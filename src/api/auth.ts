/**
 * `--auth-token` on the query port. Every request but `GET /ready` (health probes)
 * carries the token: API clients in an Authorization header (Bearer, or Basic with the
 * token as password), the viewer in a cookie. A browser gets the cookie once, from the
 * form the viewer's 401 page shows (POST /login) or from `/?token=…`; either answers
 * with a redirect to `/`, so the token does not stay in the address bar.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { UNAUTHORIZED_MESSAGE, WWW_AUTHENTICATE, authorizationToken, tokenMatches } from '../shared/auth.ts';

export const AUTH_COOKIE = 'tracebox_token';

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tracebox</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto">
<h1>tracebox</h1>
<p>This tracebox was started with <code>--auth-token</code>. Enter the token to open the viewer.</p>
<form method="post" action="/login">
<input type="password" name="token" autocomplete="current-password" autofocus required style="width:100%">
<p><button type="submit">Open</button></p>
</form></body></html>
`;

function signIn(c: Context, token: string): Response {
  // HttpOnly: scripts cannot read it; SameSite=Strict: other sites cannot send it along.
  setCookie(c, AUTH_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'Strict' });
  return c.redirect('/', 303);
}

function refuse(c: Context): Response {
  const html = c.req.method === 'GET' && (c.req.path === '/' || c.req.path === '/login');
  if (html) return c.html(LOGIN_PAGE, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
  return c.text(`${UNAUTHORIZED_MESSAGE}\n`, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.path === '/ready' && c.req.method === 'GET') return next();
    if (c.req.path === '/login' && c.req.method === 'POST') {
      let presented: string | undefined;
      try {
        const form = await c.req.parseBody();
        presented = typeof form.token === 'string' ? form.token : undefined;
      } catch {
        presented = undefined;
      }
      return tokenMatches(token, presented) ? signIn(c, token) : refuse(c);
    }
    const presented = authorizationToken(c.req.header('authorization')) ?? getCookie(c, AUTH_COOKIE);
    if (tokenMatches(token, presented)) return next();
    if (c.req.path === '/' && c.req.method === 'GET') {
      const fromUrl = c.req.query('token');
      if (tokenMatches(token, fromUrl)) return signIn(c, token);
    }
    return refuse(c);
  };
}
