/** One schema's SQL as shipped: numbered table migrations and re-applied functions. */
export interface SqlBundle {
  schema: string;
  /** Append-only, applied once each, in id order. */
  migrations: { id: number; name: string; sql: string }[];
  /** `create or replace` files, re-applied on every install and upgrade. */
  functions: { name: string; sql: string }[];
}
