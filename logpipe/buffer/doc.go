// Package buffer keeps log records durably on JetStream between intake and indexing, and tails them live.
package buffer
