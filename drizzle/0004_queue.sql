ALTER TABLE `stages` ADD `claimed_by` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `builds_repo_target_number_idx` ON `builds` (`repo_id`,`target`,`number`);--> statement-breakpoint
CREATE INDEX `builds_repo_event_number_idx` ON `builds` (`repo_id`,`event`,`number`);