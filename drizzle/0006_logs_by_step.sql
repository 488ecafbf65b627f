CREATE TABLE `step_log_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`step_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`last_line` integer NOT NULL,
	`lines` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`step_id`) REFERENCES `steps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `step_log_chunks_step_seq_unique` ON `step_log_chunks` (`step_id`,`seq`);--> statement-breakpoint
CREATE INDEX `step_log_chunks_step_last_line_idx` ON `step_log_chunks` (`step_id`,`last_line`);--> statement-breakpoint
DROP TABLE `log_chunks`;