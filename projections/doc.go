// Package projections folds the event stream into Postgres read models, one durable projector per table, exactly once.
package projections
