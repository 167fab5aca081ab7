CREATE TABLE "dmp_sandbox_associations" (
	"seq" serial PRIMARY KEY NOT NULL,
	"entry_uuid" text NOT NULL,
	"association_type" text NOT NULL,
	"source_object" text NOT NULL,
	"target_object" text NOT NULL,
	"slots" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dmp_sandbox_documents" (
	"unique_id" text PRIMARY KEY NOT NULL,
	"mime_type" text NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dmp_sandbox_entries" (
	"entry_uuid" text PRIMARY KEY NOT NULL,
	"logical_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"unique_id" text NOT NULL,
	"patient_id" text NOT NULL,
	"matricule" text NOT NULL,
	"status" text NOT NULL,
	"confidentiality" jsonb NOT NULL,
	"structure_id" text NOT NULL,
	"submission_set_uuid" text NOT NULL,
	"ever_visible_to_patient" boolean NOT NULL,
	"is_signature" boolean DEFAULT false NOT NULL,
	"class_code" text NOT NULL,
	"type_code" text NOT NULL,
	"creation_time" text NOT NULL,
	"service_start_time" text,
	"metadata_xml" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dmp_sandbox_patients" (
	"matricule" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"treating_physician" text,
	"closed_on" text,
	"closing_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dmp_sandbox_submission_sets" (
	"entry_uuid" text PRIMARY KEY NOT NULL,
	"unique_id" text NOT NULL,
	"matricule" text NOT NULL,
	"submission_time" text NOT NULL,
	"structure_id" text NOT NULL,
	"metadata_xml" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "dmp_sandbox_associations_source_idx" ON "dmp_sandbox_associations" USING btree ("source_object");--> statement-breakpoint
CREATE INDEX "dmp_sandbox_associations_target_idx" ON "dmp_sandbox_associations" USING btree ("target_object");--> statement-breakpoint
CREATE INDEX "dmp_sandbox_entries_patient_idx" ON "dmp_sandbox_entries" USING btree ("matricule");--> statement-breakpoint
CREATE INDEX "dmp_sandbox_entries_unique_idx" ON "dmp_sandbox_entries" USING btree ("unique_id");--> statement-breakpoint
CREATE INDEX "dmp_sandbox_entries_logical_idx" ON "dmp_sandbox_entries" USING btree ("logical_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dmp_sandbox_submission_sets_unique_idx" ON "dmp_sandbox_submission_sets" USING btree ("unique_id");--> statement-breakpoint
CREATE INDEX "dmp_sandbox_submission_sets_patient_idx" ON "dmp_sandbox_submission_sets" USING btree ("matricule");