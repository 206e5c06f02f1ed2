import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './results/schema.ts',
  out: './results/migrations',
});
