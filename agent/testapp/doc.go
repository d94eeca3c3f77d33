// Command testapp is the tiny static HTTP server Berth's tests run as a container workload.
package main
