// Package natsauth holds who may do what on Berth's NATS bus: one nkey user per role (the server, each agent, each integrator), the subject permissions each role needs and no more, and the files their keys live in.
package natsauth
