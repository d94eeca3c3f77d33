// Package elastictest is an in-process stand-in for an Elasticsearch 7.17 node, with fault injection, for tests.
package elastictest
