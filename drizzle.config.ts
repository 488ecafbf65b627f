import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'turso',
  schema: './sidecar/store/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
});
