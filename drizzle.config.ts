// drizzle-kit: generates SQL migrations from every module's tables.ts into src/platform/db/migrations.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/**/tables.ts',
  out: './src/platform/db/migrations',
});
