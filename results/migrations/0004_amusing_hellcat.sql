CREATE TABLE `methods` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`paper` text,
	`config_schema` text,
	`defaults` text,
	`origin` text NOT NULL,
	`updated_at` integer NOT NULL
);
