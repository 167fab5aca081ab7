/** Column types drizzle lacks. */
import { customType } from 'drizzle-orm/pg-core';

/** Raw bytes (PostgreSQL bytea), read back as a Buffer by both PGlite and node-postgres. */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});
