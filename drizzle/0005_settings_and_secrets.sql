CREATE TABLE `secrets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`data` text NOT NULL,
	`pull_request` integer DEFAULT false NOT NULL,
	`created_by` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `secrets_scope_name_unique` ON `secrets` (`scope`,lower("name"));--> statement-breakpoint
ALTER TABLE `repos` ADD `require_approval` text DEFAULT 'forks' NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `approval_allow_list` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `ignore_forks` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `ignore_pull_requests` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `auto_cancel_pushes` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `auto_cancel_pull_requests` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `auto_cancel_running` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `throttle` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_repo_id_idx` ON `deliveries` (`repo_id`,`id`);