CREATE TABLE `log_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`build` text NOT NULL,
	`stage` text NOT NULL,
	`step` text NOT NULL,
	`seq` integer NOT NULL,
	`last_line` integer NOT NULL,
	`lines` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `log_chunks_step_seq_unique` ON `log_chunks` (`repo`,`build`,`stage`,`step`,`seq`);--> statement-breakpoint
CREATE INDEX `log_chunks_step_last_line_idx` ON `log_chunks` (`repo`,`build`,`stage`,`step`,`last_line`);