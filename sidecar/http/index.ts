export { createHttpApp, type HttpDeps } from './app.ts';
export { authRoutes } from './auth-routes.ts';
export { csrfMiddleware } from './csrf-middleware.ts';
export { type PrincipalEnv, principalMiddleware } from './principal-middleware.ts';
export { type HttpServer, type ServerLimits, serveHttp } from './serve.ts';
export { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from './session-cookie.ts';
