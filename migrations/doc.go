// Package migrations holds Berth's Postgres schema as goose SQL files and applies them at start-up.
package migrations
