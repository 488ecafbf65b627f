export { createHttpApp, type HttpDeps } from './app.ts';
export { type HttpServer, type ServerLimits, serveHttp } from './serve.ts';
