-- Document bytes are stored out of line without compression: a PDF is compressed already, and
-- a level 1 CDA is mostly the base64 of that PDF, which PostgreSQL's pglz cannot shrink; trying
-- cost about 1 ms of server CPU per document written (docs/performance.md §4).
ALTER TABLE "documents" ALTER COLUMN "pdf" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "documents" ALTER COLUMN "cda" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "outgoing_documents" ALTER COLUMN "pdf" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "outgoing_documents" ALTER COLUMN "cda" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "received_documents" ALTER COLUMN "pdf" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "received_documents" ALTER COLUMN "cda" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "dmp_sandbox_documents" ALTER COLUMN "content" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "received_messages" ALTER COLUMN "raw" SET STORAGE EXTERNAL;
