// Package testimage builds the berth-testapp container image from source, with no registry involved.
package testimage
