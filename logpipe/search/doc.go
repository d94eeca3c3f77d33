// Package search defines the query over stored log records that every store answers and the API asks.
package search
