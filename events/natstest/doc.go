// Package natstest starts throwaway embedded NATS servers and clients for tests.
package natstest
