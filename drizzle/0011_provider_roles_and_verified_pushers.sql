ALTER TABLE `oidc_providers` ADD `role_groups` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `repos` ADD `require_verified_pusher` integer DEFAULT false NOT NULL;