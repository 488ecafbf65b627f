CREATE TABLE `branch_heads` (
	`repo_id` integer NOT NULL,
	`branch` text NOT NULL,
	`sha` text NOT NULL,
	`previous_sha` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`observed_at` integer NOT NULL,
	PRIMARY KEY(`repo_id`, `branch`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` text NOT NULL,
	`repo_id` integer NOT NULL,
	`event` text NOT NULL,
	`kind` text,
	`action` text,
	`ref` text DEFAULT '' NOT NULL,
	`after` text DEFAULT '' NOT NULL,
	`headers` text NOT NULL,
	`body` text NOT NULL,
	`synthetic` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_delivery_id_unique` ON `deliveries` (`delivery_id`);--> statement-breakpoint
CREATE INDEX `deliveries_repo_after_idx` ON `deliveries` (`repo_id`,`after`);--> statement-breakpoint
CREATE INDEX `deliveries_status_idx` ON `deliveries` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `repos` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`gogs_id` integer NOT NULL,
	`owner` text NOT NULL,
	`name` text NOT NULL,
	`full_name` text NOT NULL,
	`private` integer DEFAULT false NOT NULL,
	`default_branch` text DEFAULT 'master' NOT NULL,
	`clone_url` text DEFAULT '' NOT NULL,
	`html_url` text DEFAULT '' NOT NULL,
	`active` integer DEFAULT false NOT NULL,
	`trusted` integer DEFAULT false NOT NULL,
	`config_path` text DEFAULT '.drone.yml' NOT NULL,
	`hook_id` integer,
	`hook_url` text,
	`hook_secret` text,
	`previous_hook_secret` text,
	`previous_hook_secret_until` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repos_gogs_id_unique` ON `repos` (`gogs_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `repos_full_name_unique` ON `repos` (lower("full_name"));