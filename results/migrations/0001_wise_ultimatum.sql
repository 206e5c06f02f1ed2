CREATE TABLE `evaluations` (
	`id` text PRIMARY KEY NOT NULL,
	`cell_id` text NOT NULL,
	`attack` text NOT NULL,
	`settings` text NOT NULL,
	`metrics` text NOT NULL,
	`model_sha256` text NOT NULL,
	`provenance` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `evaluations_cell` ON `evaluations` (`cell_id`);--> statement-breakpoint
CREATE TABLE `models` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`sha256` text NOT NULL,
	`path` text NOT NULL,
	`bytes` integer NOT NULL,
	`unloadable` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade
);
