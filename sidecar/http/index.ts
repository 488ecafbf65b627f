export { createHttpApp, type HttpDeps } from './app.ts';
export { type HttpServer, serveHttp } from './serve.ts';
