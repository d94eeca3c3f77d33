// Package searchtest is the test suite every log store (Index plus Search) must pass.
package searchtest
