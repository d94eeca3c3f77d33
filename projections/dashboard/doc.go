// Package dashboard serves Berth's web console: server-rendered pages over the read models and the event log, kept live over Server-Sent Events.
package dashboard
