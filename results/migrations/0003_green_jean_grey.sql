CREATE TABLE `measurements` (
	`id` text PRIMARY KEY NOT NULL,
	`cell_id` text NOT NULL,
	`run_id` text NOT NULL,
	`night` text NOT NULL,
	`commit` text NOT NULL,
	`code_hash` text,
	`backend` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`verification` text NOT NULL,
	`metrics` text NOT NULL,
	`recorded_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `measurements_cell` ON `measurements` (`cell_id`,`recorded_at`);--> statement-breakpoint
CREATE INDEX `measurements_night` ON `measurements` (`night`);--> statement-breakpoint
CREATE TABLE `submissions` (
	`run_id` text PRIMARY KEY NOT NULL,
	`entry_id` text NOT NULL,
	`entry_sha256` text NOT NULL,
	`sources` text NOT NULL,
	`suite` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
-- Records written before this migration become the first measurement of their cell (code hash unknown).
INSERT INTO `measurements` (`id`, `cell_id`, `run_id`, `night`, `commit`, `code_hash`, `backend`, `status`, `error`, `verification`, `metrics`, `recorded_at`)
SELECT c.`id` || ':' || c.`run_id`, c.`id`, c.`run_id`, strftime('%Y-%m-%d', c.`finished_at` / 1000, 'unixepoch'),
  coalesce(json_extract(c.`provenance`, '$.commit'), 'unknown'), NULL, coalesce(json_extract(c.`provenance`, '$.backend'), 'unknown'),
  c.`status`, c.`error`, c.`verification`,
  coalesce((SELECT json_group_object(m.`name`, json_object('value', m.`value`, 'n', m.`n`, 'ciLow', m.`ci_low`, 'ciHigh', m.`ci_high`))
    FROM `metrics` m WHERE m.`cell_id` = c.`id`), '{}'),
  c.`finished_at`
FROM `cells` c;
