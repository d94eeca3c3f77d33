// Package logapi answers the log endpoints: search of an app's stored records and a bounded live follow of its new ones.
package logapi
