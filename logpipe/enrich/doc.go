// Package enrich completes log records with what the platform knows about their instance before they are buffered.
package enrich
