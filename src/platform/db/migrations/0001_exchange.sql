CREATE TABLE "dispatch_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dispatch_id" uuid NOT NULL,
	"status" text NOT NULL,
	"detail" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dispatches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"outgoing_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"recipient" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"error_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"external_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outgoing_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"identity_id" uuid,
	"unique_id" text NOT NULL,
	"set_id" text NOT NULL,
	"version" integer NOT NULL,
	"replaces_unique_id" text,
	"code" text NOT NULL,
	"label" text NOT NULL,
	"title" text NOT NULL,
	"patient" jsonb NOT NULL,
	"cda" text NOT NULL,
	"pdf" "bytea",
	"confidentiality" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "distribution" jsonb DEFAULT '{"correspondents":[],"blocked":[],"maskedToProfessionals":false,"invisibleToPatient":false,"invisibleToLegalRepresentatives":false}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "dispatch_events_dispatch_idx" ON "dispatch_events" USING btree ("dispatch_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "dispatches_channel_idx" ON "dispatches" USING btree ("outgoing_id","channel","recipient");--> statement-breakpoint
CREATE INDEX "dispatches_external_idx" ON "dispatches" USING btree ("external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outgoing_source_idx" ON "outgoing_documents" USING btree ("source","source_id");--> statement-breakpoint
CREATE INDEX "outgoing_set_idx" ON "outgoing_documents" USING btree ("set_id");