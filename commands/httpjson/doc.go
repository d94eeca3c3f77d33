// Package httpjson is the one place where Berth's API turns errors into
// HTTP statuses and JSON bodies, decodes request bodies strictly and
// checks the bearer token.
package httpjson
