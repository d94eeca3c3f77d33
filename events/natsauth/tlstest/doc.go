// Package tlstest makes throwaway certificate authorities and certificates for tests of TLS on the bus.
package tlstest
