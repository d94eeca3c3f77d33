// Package elastic indexes log records into daily Elasticsearch 7 indices and searches them.
package elastic
