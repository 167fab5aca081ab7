CREATE TABLE "received_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"mailbox" text NOT NULL,
	"message_id" text NOT NULL,
	"raw" "bytea" NOT NULL,
	"status" text DEFAULT 'received' NOT NULL,
	"kind" text,
	"detail" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "received_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identity_id" uuid,
	"status" text NOT NULL,
	"matched_by" text,
	"reason" text,
	"unique_id" text NOT NULL,
	"code" text,
	"title" text,
	"cda" text NOT NULL,
	"pdf" "bytea",
	"source" text NOT NULL,
	"sender" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "received_messages_id_idx" ON "received_messages" USING btree ("mailbox","message_id");--> statement-breakpoint
CREATE INDEX "received_messages_status_idx" ON "received_messages" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "received_documents_unique_id_idx" ON "received_documents" USING btree ("unique_id");--> statement-breakpoint
CREATE INDEX "received_documents_identity_idx" ON "received_documents" USING btree ("identity_id");--> statement-breakpoint
CREATE INDEX "received_documents_status_idx" ON "received_documents" USING btree ("status");