// Package tokens authenticates API requests with named tokens whose grants and revocations are events, and authorizes each request against its route's capability.
package tokens
