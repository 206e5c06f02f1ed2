CREATE TABLE `claims` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
