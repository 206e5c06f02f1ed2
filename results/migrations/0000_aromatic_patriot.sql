CREATE TABLE `cells` (
	`id` text PRIMARY KEY NOT NULL,
	`suite` text NOT NULL,
	`tier` text NOT NULL,
	`task_id` text NOT NULL,
	`method_id` text NOT NULL,
	`seed` integer NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`run_id` text NOT NULL,
	`spec` text NOT NULL,
	`provenance` text NOT NULL,
	`artifacts` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`train_seconds` real NOT NULL,
	`eval_seconds` real NOT NULL,
	`verification` text DEFAULT 'measured' NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cells_task_method` ON `cells` (`task_id`,`method_id`);--> statement-breakpoint
CREATE INDEX `cells_suite` ON `cells` (`suite`);--> statement-breakpoint
CREATE TABLE `metrics` (
	`cell_id` text NOT NULL,
	`name` text NOT NULL,
	`value` real NOT NULL,
	`n` integer NOT NULL,
	`ci_low` real NOT NULL,
	`ci_high` real NOT NULL,
	`details` text NOT NULL,
	PRIMARY KEY(`cell_id`, `name`),
	FOREIGN KEY (`cell_id`) REFERENCES `cells`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`suite` text NOT NULL,
	`tier` text NOT NULL,
	`command` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`status` text NOT NULL,
	`commit` text NOT NULL,
	`backend` text NOT NULL,
	`environment` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`recipe` text NOT NULL,
	`path` text NOT NULL,
	`sha256` text NOT NULL,
	`clean_acc` real,
	`robust_acc` real,
	`provenance` text NOT NULL,
	`created_at` integer NOT NULL
);
