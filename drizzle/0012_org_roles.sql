CREATE TABLE `org_roles` (
	`user_id` integer NOT NULL,
	`org_id` integer NOT NULL,
	`org` text NOT NULL,
	`role` text NOT NULL,
	`synced_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `org_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
