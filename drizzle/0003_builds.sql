CREATE TABLE `builds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo_id` integer NOT NULL,
	`number` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`creation_token` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`event` text NOT NULL,
	`action` text DEFAULT '' NOT NULL,
	`ref` text DEFAULT '' NOT NULL,
	`source` text DEFAULT '' NOT NULL,
	`target` text DEFAULT '' NOT NULL,
	`before` text DEFAULT '' NOT NULL,
	`after` text DEFAULT '' NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`link` text DEFAULT '' NOT NULL,
	`author_login` text DEFAULT '' NOT NULL,
	`author_name` text DEFAULT '' NOT NULL,
	`author_email` text DEFAULT '' NOT NULL,
	`author_avatar` text DEFAULT '' NOT NULL,
	`sender` text DEFAULT '' NOT NULL,
	`pull_request` integer DEFAULT 0 NOT NULL,
	`fork` text DEFAULT '' NOT NULL,
	`params` text DEFAULT '{}' NOT NULL,
	`cron` text DEFAULT '' NOT NULL,
	`deploy_to` text DEFAULT '' NOT NULL,
	`parent` integer DEFAULT 0 NOT NULL,
	`config_sha256` text DEFAULT '' NOT NULL,
	`changed_paths` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer DEFAULT 0 NOT NULL,
	`finished_at` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `builds_idempotency_key_unique` ON `builds` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `builds_repo_number_unique` ON `builds` (`repo_id`,`number`);--> statement-breakpoint
CREATE INDEX `builds_status_idx` ON `builds` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`repo_id` integer NOT NULL,
	`build_id` integer NOT NULL,
	`stage_id` integer,
	`step_id` integer,
	`detail` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `changes_created_at_idx` ON `changes` (`created_at`);--> statement-breakpoint
CREATE TABLE `pipeline_files` (
	`sha256` text PRIMARY KEY NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`build_id` integer NOT NULL,
	`repo_id` integer NOT NULL,
	`number` integer NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'pipeline' NOT NULL,
	`type` text DEFAULT 'docker' NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`err_ignore` integer DEFAULT false NOT NULL,
	`exit_code` integer DEFAULT 0 NOT NULL,
	`machine` text DEFAULT '' NOT NULL,
	`os` text DEFAULT 'linux' NOT NULL,
	`arch` text DEFAULT 'amd64' NOT NULL,
	`variant` text DEFAULT '' NOT NULL,
	`limit` integer DEFAULT 0 NOT NULL,
	`depends_on` text DEFAULT '[]' NOT NULL,
	`on_success` integer DEFAULT true NOT NULL,
	`on_failure` integer DEFAULT false NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`started_at` integer DEFAULT 0 NOT NULL,
	`finished_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`build_id`) REFERENCES `builds`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stages_build_number_unique` ON `stages` (`build_id`,`number`);--> statement-breakpoint
CREATE INDEX `stages_status_idx` ON `stages` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`stage_id` integer NOT NULL,
	`build_id` integer NOT NULL,
	`number` integer NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`err_ignore` integer DEFAULT false NOT NULL,
	`exit_code` integer,
	`image` text DEFAULT '' NOT NULL,
	`digest` text DEFAULT '' NOT NULL,
	`detached` integer DEFAULT false NOT NULL,
	`depends_on` text DEFAULT '[]' NOT NULL,
	`started_at` integer DEFAULT 0 NOT NULL,
	`finished_at` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`stage_id`) REFERENCES `stages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `steps_stage_number_unique` ON `steps` (`stage_id`,`number`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `leased_by` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `lease_until` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `build_counter` integer DEFAULT 0 NOT NULL;