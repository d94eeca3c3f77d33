// Package clusterview folds the whole event stream into an in-memory view
// of hosts and apps, the state every worker decides from.
package clusterview
