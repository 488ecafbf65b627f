CREATE TABLE `workload_signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`not_before` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workload_signing_keys_generation_unique` ON `workload_signing_keys` (`generation`);