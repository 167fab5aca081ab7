CREATE SEQUENCE "public"."ipp_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 100000 CACHE 1;--> statement-breakpoint
CREATE TABLE "identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ipp" text NOT NULL,
	"ipp_authority" text NOT NULL,
	"status" text DEFAULT 'PROV' NOT NULL,
	"attributes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"insi_verified" boolean DEFAULT false NOT NULL,
	"high_trust_proof" boolean DEFAULT false NOT NULL,
	"birth_name" text NOT NULL,
	"birth_given_names" text NOT NULL,
	"birth_date" text NOT NULL,
	"sex" text NOT NULL,
	"birthplace" text,
	"used_name" text,
	"used_given_name" text,
	"ins_matricule" text,
	"ins_oid" text,
	"ins_history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"insi_checked_at" timestamp with time zone,
	"ins_acquisition" text,
	"proof_type" text,
	"proof_expires_on" text,
	"merged_into" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_proofs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identity_id" uuid NOT NULL,
	"type" text NOT NULL,
	"high_trust" boolean NOT NULL,
	"expires_on" text,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_by" text NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"withdrawn_reason" text
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hl7_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"peer" text NOT NULL,
	"sender" text,
	"control_id" text,
	"message_type" text,
	"raw" "bytea" NOT NULL,
	"sha256" text NOT NULL,
	"status" text DEFAULT 'received' NOT NULL,
	"ack" text,
	"error" text,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"ordering_key" text,
	"dedup_key" text,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 10 NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identity_id" uuid NOT NULL,
	"stay_id" uuid,
	"type" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"cda_id" text NOT NULL,
	"set_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"replaces_id" uuid,
	"title" text NOT NULL,
	"sections" jsonb NOT NULL,
	"author" jsonb NOT NULL,
	"legal_authenticator" jsonb,
	"pdf" "bytea",
	"cda" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"validated_at" timestamp with time zone,
	"validated_by" text
);
--> statement-breakpoint
CREATE TABLE "stays" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identity_id" uuid NOT NULL,
	"nda" text NOT NULL,
	"nda_authority" text NOT NULL,
	"patient_class" text,
	"status" text NOT NULL,
	"admit_at" text,
	"discharge_at" text,
	"medical_unit" text,
	"movements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity_proofs" ADD CONSTRAINT "identity_proofs_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "public"."identities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "identities_ipp_idx" ON "identities" USING btree ("ipp_authority","ipp");--> statement-breakpoint
CREATE INDEX "identities_traits_idx" ON "identities" USING btree ("birth_name","birth_date");--> statement-breakpoint
CREATE INDEX "identities_ins_idx" ON "identities" USING btree ("ins_matricule");--> statement-breakpoint
CREATE INDEX "identity_proofs_identity_idx" ON "identity_proofs" USING btree ("identity_id");--> statement-breakpoint
CREATE INDEX "audit_subject_idx" ON "audit_events" USING btree ("subject_type","subject_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "hl7_messages_accepted_idx" ON "hl7_messages" USING btree ("sender","control_id") WHERE status = 'accepted';--> statement-breakpoint
CREATE INDEX "hl7_messages_status_idx" ON "hl7_messages" USING btree ("status","received_at");--> statement-breakpoint
CREATE INDEX "jobs_claim_idx" ON "jobs" USING btree ("queue","status","run_at");--> statement-breakpoint
CREATE INDEX "jobs_ordering_idx" ON "jobs" USING btree ("ordering_key","id") WHERE status in ('pending', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_dedup_idx" ON "jobs" USING btree ("queue","dedup_key");--> statement-breakpoint
CREATE INDEX "documents_identity_idx" ON "documents" USING btree ("identity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_version_idx" ON "documents" USING btree ("set_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "stays_nda_idx" ON "stays" USING btree ("nda_authority","nda");--> statement-breakpoint
CREATE INDEX "stays_identity_idx" ON "stays" USING btree ("identity_id");